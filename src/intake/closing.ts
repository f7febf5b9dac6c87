/**
 * Closing versions. A record the hub closes on its source's behalf (one a
 * full extract lacks, see close-absent.ts; one its source withdrew, see
 * withdraw.ts) gets a new current version: its content as last received,
 * marked closed, its involvements too, so that it no longer gives its person
 * a home or makes them an occupant, while its history and links stay. The
 * version's raw_format says why (CLOSING_FORMATS in store.ts); a record
 * holding one opens again when it comes back (store.ts).
 */
import type pg from 'pg';
import type { SourceRecord } from '../../schemas/source-record.js';
import { prepareItems, storePrepared, type IntakeItem, type Position } from './store.js';

/** How the closing versions of one intake are written. */
export interface ClosingVersions {
  /** One of CLOSING_FORMATS. */
  rawFormat: string;
  /** The raw text of a record's closing version: what made the hub close it (there is no payload). */
  raw: (sourceRef: string) => string;
  position: (sourceRef: string) => Position;
  /**
   * The source's own time of the closing (ISO 8601: when a full extract was
   * made, or a withdrawal's updatedAt), carried by the closing version of a
   * record that has update times when later than the record's, so that a
   * version of the record older than the closing, arriving after it, does
   * not open it again (it is kept as history only, see storePrepared). A
   * record without update times keeps none: its versions are ordered by their
   * intakes' source times, and a time of its own would make every later
   * version without one stale for ever.
   */
  sourceUpdatedAt?: string | null;
}

const RECORDS = `SELECT source_ref AS "sourceRef", record FROM source_record WHERE system = $1 AND source_ref = ANY($2::text[]) AND current`;

// Closing versions are stored as intake batches are, this many at a time.
const CHUNK = 2_000;

/** The record as last received, closed: every involvement it holds ends with it. */
function closedRecord(record: SourceRecord): SourceRecord {
  return {
    ...record,
    closed: true,
    involvements: record.involvements.map((i) => (i.status === 'open' ? { ...i, status: 'closed' as const } : i)),
  };
}

/** A closing version's update time: the record's own (`a`), or the closing's (`b`) when later; none when the record has none. */
function closingTime(a: string | null, b: string | null | undefined): string | null {
  if (!b || !a) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

/**
 * Gives the current versions of `refs` (of intake `intake`'s system) a
 * closing version each, stored under the intake, inside the caller's
 * transaction on `db` (which should hold the records locked), handing the
 * new versions' ids to `onAccepted` in it, as intake batches do. A record
 * already closed with that content is left as it is. Returns the source refs
 * closed, in the order of `refs`.
 */
export async function storeClosingVersions(
  db: pg.PoolClient, intake: { id: number; system: string }, refs: readonly string[], closing: ClosingVersions,
  onAccepted?: (sourceRecordIds: number[], db: pg.PoolClient) => Promise<void>,
): Promise<string[]> {
  const closed: string[] = [];
  for (let at = 0; at < refs.length; at += CHUNK) {
    const chunk = refs.slice(at, at + CHUNK);
    const records = new Map((await db.query<{ sourceRef: string; record: SourceRecord }>(RECORDS, [intake.system, chunk])).rows.map((r) => [r.sourceRef, r.record]));
    // In the order given.
    const rows = chunk.flatMap((sourceRef) => {
      const record = records.get(sourceRef);
      return record ? [{ sourceRef, record }] : [];
    });
    const items: IntakeItem[] = rows.map((r) => ({
      kind: 'record',
      record: { ...closedRecord(r.record), sourceUpdatedAt: closingTime(r.record.sourceUpdatedAt, closing.sourceUpdatedAt) },
      rawFormat: closing.rawFormat, raw: closing.raw(r.sourceRef), position: closing.position(r.sourceRef),
    }));
    const outcomes = await storePrepared(db, intake.id, intake.system, prepareItems(items, intake.id, intake.system));
    const ids: number[] = [];
    outcomes.forEach((o, i) => {
      if (o.id === null) return;
      ids.push(o.id);
      closed.push(rows[i]!.sourceRef);
    });
    if (ids.length > 0) await onAccepted?.(ids, db);
  }
  return closed;
}
