import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test, expect } from '../fixtures';

const kubeconfig = (names: string[]) => `apiVersion: v1
kind: Config
clusters:
- name: lab
  cluster:
    server: https://127.0.0.1:6443
users:
- name: analyst
  user:
    token: not-a-real-token
contexts:
${names.map((n) => `- name: ${n}\n  context:\n    cluster: lab\n    user: analyst`).join('\n')}
current-context: ${names[0]}
`;

test('the cluster choice lists the contexts of a chosen kubeconfig, as text, and remembers the file', async ({
  appPage,
}) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'lantern-kc-'));
  try {
    const file = path.join(dir, 'config');
    writeFileSync(file, kubeconfig(['lab-admin', '<img src=x onerror=alert(1)>']));
    await appPage.getByTestId('kubeconfig-path').fill(file);
    await appPage.getByRole('button', { name: 'Use' }).click();
    const list = appPage.getByRole('list', { name: 'Kubeconfig contexts' });
    await expect(list.getByText('lab-admin')).toBeVisible();
    // a hostile context name is shown as text, never as HTML
    await expect(list.getByText('<img src=x onerror=alert(1)>')).toBeVisible();
    expect(await appPage.locator('.choice__list img').count()).toBe(0);
    await appPage.reload();
    await expect(appPage.getByTestId('kubeconfig-path')).toHaveValue(file);
    await expect(appPage.getByRole('list', { name: 'Kubeconfig contexts' }).getByText('lab-admin')).toBeVisible();
  } finally {
    await appPage.getByTestId('kubeconfig-path').fill('');
    await appPage.getByRole('button', { name: 'Use' }).click();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a file that is not a capture gives an error in words, and the start screen stays usable', async ({ appPage }) => {
  await appPage.getByTestId('capture-file-input').setInputFiles({
    name: 'not-a-capture.lantern',
    mimeType: 'application/octet-stream',
    buffer: Buffer.from('this is not a capture\n'),
  });
  await expect(appPage.getByTestId('start-error')).toBeVisible();
  await expect(appPage.getByTestId('start-error')).not.toBeEmpty();
  await expect(appPage.getByRole('button', { name: 'Open the demo' })).toBeEnabled();
});
