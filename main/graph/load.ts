/** Read a capture file (or buffer) into a GraphBuilder, with the capture reader from events/. */
import type { CaptureHeader, CaptureTrailer } from '../common/capture';
import type { LanternEvent } from '../common/events';
import { openCapture, openCaptureBuffer, type CaptureReader, type CaptureStats } from '../events/capture-file';
import { createEnricher } from '../events/enrich';
import { GraphBuilder } from './builder';

export interface LoadOptions {
  continueOnError?: boolean;
  /** Record the replay log (sessions need it; one-shot exports do not). */
  log?: boolean;
  checkpointEvery?: number;
  /** Called once with the header, before any event (make detection sinks here). */
  onHeader?: (header: CaptureHeader) => void | Promise<void>;
  /** Called after each batch was added to the graph (detection sinks, progress). */
  onBatch?: (events: LanternEvent[], firstIndex: number, builder: GraphBuilder) => void | Promise<void>;
}

export interface LoadedCapture {
  builder: GraphBuilder;
  header: CaptureHeader;
  trailer?: CaptureTrailer;
  warnings: string[];
  stats: CaptureStats;
}

export async function loadCaptureInto(r: CaptureReader, opts: LoadOptions = {}): Promise<LoadedCapture> {
  const builder = new GraphBuilder({
    enricher: createEnricher(r.header.inventory),
    log: opts.log,
    checkpointEvery: opts.checkpointEvery,
  });
  try {
    if (opts.onHeader) await opts.onHeader(r.header);
    for await (const batch of r.batches()) {
      for (let i = 0; i < batch.length; i++) builder.ingest(batch[i]!);
      if (opts.onBatch) await opts.onBatch(batch, batch.firstIndex, builder);
    }
  } finally {
    await r.close();
  }
  const out: LoadedCapture = { builder, header: r.header, warnings: [...r.warnings], stats: { ...r.stats } };
  if (r.trailer) out.trailer = r.trailer;
  return out;
}

export async function loadCapture(path: string, opts: LoadOptions = {}): Promise<LoadedCapture> {
  return loadCaptureInto(await openCapture(path, { continueOnError: opts.continueOnError }), opts);
}

export async function loadCaptureBuffer(buf: Uint8Array, name: string, opts: LoadOptions = {}): Promise<LoadedCapture> {
  return loadCaptureInto(await openCaptureBuffer(buf, name, { continueOnError: opts.continueOnError }), opts);
}
