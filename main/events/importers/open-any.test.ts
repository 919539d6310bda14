import { readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { LanternEvent } from '../../common/events';
import { CaptureError } from '../capture-file';
import { openCaptureOrImport, openCaptureOrImportBuffer } from './open-any';
import { haveData, sample } from './samples.test-util';

const tempDirs = async () => (await readdir(tmpdir())).filter((d) => d.startsWith('lantern-import-')).length;

describe.skipIf(!haveData)('openCaptureOrImport', () => {
  it("opens another tool's export as a capture and removes its temp copy afterwards", async () => {
    const before = await tempDirs();
    const { reader, imported } = await openCaptureOrImport(
      sample('falco/website/blog__falcosidekick-response-engine-part-2-openfass.jsonl'),
    );
    expect(imported).toMatchObject({ tool: 'falco', events: 4 });
    expect(reader.header.source).toBe('falco');
    expect(reader.file).toContain('openfass');
    const evs: LanternEvent[] = [];
    for await (const b of reader.batches()) evs.push(...b);
    expect(evs.map((e) => e.kind)).toEqual(['exec', 'alert', 'connect', 'alert']);
    expect(reader.trailer?.events).toBe(4);
    expect(await tempDirs()).toBe(before);
  });

  it('works from a buffer (upload) and leaves real captures and bad files to the capture reader', async () => {
    const data = await readFile(sample('tetragon/testdata_events.json'));
    const { reader, imported } = await openCaptureOrImportBuffer(data, 'upload.json');
    expect(imported?.tool).toBe('tetragon');
    await reader.close();
    const err = await openCaptureOrImportBuffer(Buffer.from('hello world\n'), 'junk.txt').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaptureError);
    expect((err as CaptureError).message).toMatch(/junk\.txt: line 1: not a Lantern capture/);
  });
});
