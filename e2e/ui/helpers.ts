/** Shared helpers for the workbench specs: captures to open, screenshots, waiting for the graph. */
import { existsSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { expect } from '@playwright/test';
import { ROOT } from '../fixtures';
import { ensureCapture, generateCapture, makeCapture } from '../bench/generate';
import { CaptureWriter } from '../../main/events/capture-file';
import type { LanternEvent } from '../../main/common/events';

export const ARTIFACTS = path.join(ROOT, 'e2e', '.artifacts', 'ui');
mkdirSync(ARTIFACTS, { recursive: true });

export async function shot(page: Page, name: string): Promise<string> {
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/**
 * The capture the demo button opens: the bundled assets/demo.lantern when it exists, otherwise a
 * generated capture with the attack story (same engine, same findings pipeline).
 */
export async function demoCapture(): Promise<string> {
  const bundled = path.join(ROOT, 'assets', 'demo.lantern');
  if (existsSync(bundled)) return bundled;
  return ensureCapture({ events: 20_000, attack: true, seed: 3 });
}

export function demoEnv(capture: string): Record<string, string> {
  return { LANTERN_DEMO_CAPTURE: capture };
}

/** Click "Open the demo" and wait until the graph has nodes. */
export async function openDemo(page: Page): Promise<void> {
  await page.getByTestId('choice-demo').getByRole('button').click();
  // Generous: the engine builds the graph and runs detection on open, on a shared 2-core machine.
  await expect(page.getByTestId('workbench')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('graph-loading')).toHaveCount(0, { timeout: 60_000 });
  await expect.poll(async () => nodeCount(page), { timeout: 60_000 }).toBeGreaterThan(0);
}

export async function nodeCount(page: Page): Promise<number> {
  const t = (await page.getByTestId('node-count').textContent()) ?? '0';
  const m = /([\d.]+)(k|M)?/.exec(t);
  if (!m) return 0;
  return Math.round(Number(m[1]) * (m[2] === 'k' ? 1000 : m[2] === 'M' ? 1e6 : 1));
}

/** Script-injection payloads: markup, URLs, template syntax, prototype keys, bidi overrides. */
export const PAYLOADS = [
  '<img src=x onerror=alert(1)>',
  '<script>alert(2)</script>',
  '"><svg onload=alert(3)>',
  'javascript:alert(4)',
  '<iframe src="javascript:alert(5)"></iframe>',
  "{{constructor.constructor('alert(6)')()}}",
  '<a href="http://127.0.0.1:9/x7">x7</a>',
  "'; alert(8); //",
  "<style>@import 'http://127.0.0.1:9/x9';</style>",
  '<math><mtext><table><mglyph><style><img src=x onerror=alert(10)>',
  '${alert(11)}',
  '<img src="http://127.0.0.1:9/x12">',
  '<details open ontoggle=alert(13)>',
  '\u202egnp.exe<b>14</b>',
];

/**
 * A capture whose process arguments, executable paths, file paths, DNS names, pod names and pod
 * labels carry the payloads. Built from the generated cluster, written with the real writer.
 */
export async function injectionCapture(): Promise<string> {
  const out = path.join(os.tmpdir(), `lantern-inject-${process.pid}-${Date.now()}.lantern`);
  const cap = makeCapture({ events: 4000, attack: true, seed: 5 });
  const inv = cap.header.inventory;
  const pods = inv?.pods ?? [];
  pods.forEach((p, i) => {
    p.labels = { ...(p.labels ?? {}), evil: PAYLOADS[i % PAYLOADS.length]! };
  });
  // Rename a few pods after payloads (events join pods by container id, so the join survives).
  const renamed = pods.filter((p) => p.namespace === 'shop').slice(0, 3);
  renamed.forEach((p, i) => {
    p.name = `${PAYLOADS[i]!}`;
  });
  const w = await CaptureWriter.create(out, cap.header, { level: 1 });
  let i = 0;
  for (const ev of cap.events()) {
    const e: LanternEvent = ev;
    const payload = PAYLOADS[i++ % PAYLOADS.length]!;
    if (e.kind === 'exec' && e.proc) {
      e.proc.args = [e.proc.exe ?? e.proc.comm, payload];
      if (i % 7 === 0) e.proc.exe = `/usr/bin/${payload}`;
    } else if (e.kind === 'open' && e.file && i % 3 === 0) {
      e.file.path = `/tmp/${payload}`;
    } else if (e.kind === 'dns' && e.dns && i % 2 === 0) {
      e.dns.query = `${payload}.example.com`;
    }
    if (!w.write(e)) await w.drain();
  }
  await w.close({ status: 'complete' });
  return out;
}

export { generateCapture };
