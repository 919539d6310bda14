/**
 * Resume bookkeeping for one node's stream. After a dropped log stream we ask again with
 * `sinceTime` = the timestamp of the last complete line we kept; the server answers from that
 * instant (inclusive, or from the whole second on servers that truncate), so the overlap is
 * dropped here: lines older than the resume point by timestamp, lines already seen by the
 * agent's per-line `seq`. A `seq` that jumps forward is a gap: counted here for the record (the
 * parser reports it as an agent.lost event, which is what the capture's loss totals count).
 */
import { compareLogTime, type LogTime } from './log-stream';

export class ResumeGuard {
  /** Highest line seq kept so far (per node, per agent run). */
  lastSeq: number | undefined;
  /** Timestamp of the last complete line kept. */
  lastTime: LogTime | undefined;
  duplicates = 0;
  gaps = 0;
  missing = 0;
  /** Lines kept with no seq at all (deduplicated by timestamp only). */
  unsequenced = 0;
  /** The resume point of the current stream (undefined on the first stream). */
  private resumeFrom: LogTime | undefined;

  /** Start of a new (resumed) stream: everything strictly before `lastTime` is old. */
  beginStream(): string | undefined {
    this.resumeFrom = this.lastTime;
    return this.lastTime?.text;
  }

  /** Should this line be looked at at all? (Drops the overlap a resumed stream replays.) */
  acceptLine(time: LogTime | undefined): boolean {
    if (!this.resumeFrom || !time) return true;
    return compareLogTime(time, this.resumeFrom) >= 0;
  }

  /**
   * On a resumed stream, a line exactly at the resume instant that yields no sequenced event was
   * very likely already kept; drop it rather than double it.
   */
  acceptUnsequencedLine(time: LogTime | undefined): boolean {
    if (!this.resumeFrom || !time) return true;
    return compareLogTime(time, this.resumeFrom) > 0;
  }

  /** 'keep' a new line, or 'dup' for one already kept. Records gaps. */
  acceptSeq(seq: number | undefined): 'keep' | 'dup' {
    if (seq === undefined || !Number.isFinite(seq)) {
      this.unsequenced++;
      return 'keep';
    }
    if (this.lastSeq !== undefined && seq <= this.lastSeq) {
      this.duplicates++;
      return 'dup';
    }
    if (this.lastSeq !== undefined && seq > this.lastSeq + 1) {
      this.gaps++;
      this.missing += seq - this.lastSeq - 1;
    }
    this.lastSeq = seq;
    return 'keep';
  }

  /** The line was fully handled: it becomes the resume point. */
  lineDone(time: LogTime | undefined): void {
    if (time && (!this.lastTime || compareLogTime(time, this.lastTime) >= 0)) this.lastTime = time;
  }
}
