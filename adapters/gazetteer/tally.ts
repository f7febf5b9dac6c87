/**
 * Counts what a read produced, so the caller can tell a complete file from a
 * cut-off or inconsistent one: records and skips per record type, rejects
 * with line and reason, and the trailer's RECORD_COUNT against the lines
 * actually read.
 */
import type { GazetteerFileType, GazetteerFormat } from './detect.js';
import type { GazetteerEvent, RejectEvent } from './read.js';

export class GazetteerTally {
  format: GazetteerFormat | null = null;
  fileType: GazetteerFileType | null = null;
  /** Records read from their own line, per record type. */
  readonly records: Record<string, number> = {};
  /** Records implied by another line (DTF organisations), per record type. */
  readonly derived: Record<string, number> = {};
  readonly skipped: Record<string, number> = {};
  /** The first `maxRejectDetails` rejects; `rejectCount` has them all. */
  readonly rejects: Omit<RejectEvent, 'kind'>[] = [];
  rejectCount = 0;
  /** Lines between header and trailer: records, skips and rejects. RECORD_COUNT should equal it. */
  dataLines = 0;
  trailerCount: number | null = null;
  /** The trailer's NEXT_VOLUME_NUMBER: the volume that follows this one, 0 or null for the last. */
  nextVolume: number | null = null;
  ended = false;
  finalNewline = true;

  constructor(private readonly maxRejectDetails = 1000) {}

  add(e: GazetteerEvent): void {
    switch (e.kind) {
      case 'header':
        this.format = e.format;
        this.fileType = e.fileType;
        break;
      case 'record': {
        const key = String(e.record.type);
        const into = e.derived ? this.derived : this.records;
        into[key] = (into[key] ?? 0) + 1;
        if (!e.derived) this.dataLines++;
        break;
      }
      case 'skipped':
        this.skipped[e.recordType] = (this.skipped[e.recordType] ?? 0) + 1;
        if (e.recordType !== '10') this.dataLines++;
        break;
      case 'reject':
        this.rejectCount++;
        if (this.rejects.length < this.maxRejectDetails) this.rejects.push({ recordType: e.recordType, line: e.line, reason: e.reason });
        if (e.recordType !== '10' && e.recordType !== '99') this.dataLines++;
        break;
      case 'trailer':
        this.trailerCount = e.recordCount;
        this.nextVolume = e.nextVolumeNumber;
        break;
      case 'end':
        this.ended = true;
        this.finalNewline = e.finalNewline;
        break;
    }
  }

  /** Split files carry no trailer; the others must end with one. */
  get trailerMissing(): boolean {
    return this.ended && this.trailerCount === null && this.format !== 'abp-split';
  }

  get trailerMismatch(): boolean {
    return this.trailerCount !== null && this.trailerCount !== this.dataLines;
  }

  /** Read to the end with a trailer that agrees (where one is due) and no rejects. */
  get clean(): boolean {
    return this.ended && !this.trailerMissing && !this.trailerMismatch && this.rejectCount === 0;
  }

  /** Pass events through unchanged while counting them. */
  async *track(events: AsyncIterable<GazetteerEvent>): AsyncGenerator<GazetteerEvent> {
    for await (const e of events) {
      this.add(e);
      yield e;
    }
  }
}

/** Read all events and count them. */
export async function summarise(events: AsyncIterable<GazetteerEvent>, maxRejectDetails?: number): Promise<GazetteerTally> {
  const tally = new GazetteerTally(maxRejectDetails);
  for await (const e of events) tally.add(e);
  return tally;
}
