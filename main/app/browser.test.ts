import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findAppRoot } from './paths';

const root = findAppRoot(import.meta.dirname);
const tmp: string[] = [];
afterEach(() => {
  for (const d of tmp.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('browser mode lifecycle', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`runs every shutdown callback on ${signal}, then exits 0`, async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'lantern-shutdown-'));
      tmp.push(dir);
      mkdirSync(path.join(dir, 'static'));
      writeFileSync(path.join(dir, 'static', 'index.html'), '<!doctype html>');
      const marker = path.join(dir, 'marker');
      const child = spawn(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(root, 'main/app/testing/shutdownProbe.ts'),
          root,
          path.join(dir, 'static'),
          path.join(dir, 'data'),
          marker,
        ],
        { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      try {
        let out = '';
        await new Promise<void>((resolve, reject) => {
          child.stdout.on('data', (d: Buffer) => {
            out += d.toString();
            if (out.includes('READY http://127.0.0.1:')) resolve();
          });
          child.stderr.on('data', (d: Buffer) => (out += d.toString()));
          child.once('exit', () => reject(new Error(`exited early:\n${out}`)));
        });
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        child.kill(signal);
        expect(await exited).toBe(0);
        expect(existsSync(marker) && readFileSync(marker, 'utf8')).toBe('cleaned up');
        expect(out).toContain(`${signal} received, stopping`);
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      // starting the real entry loads every handler through tsx: seconds when idle, a minute on a loaded 2-core box
    }, 180_000);
  }
});
