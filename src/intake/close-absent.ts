/**
 * Closing what a full extract lacks. A full extract holds every open record
 * of its system, so a record it lacks was closed at the source (a tenancy
 * ended, a joint liable party left the account). Such a record gets a closing
 * version, its content as last received marked closed, so that it no longer
 * gives its person a home or makes them an occupant, and its history stays.
 * When it comes back in a later intake it opens again (store.ts).
 *
 * Closing is refused, with nothing closed, when the file had rejects (a
 * record among them would be closed by mistake) or would close more than
 * the allowed share of the system's open records (a truncated or wrong file).
 */
import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { SourceRecord } from '../../schemas/source-record.js';
import { ABSENT_FORMAT, copyText, prepareItems, storePrepared, type Counts, type IntakeItem } from './store.js';

export interface FullExtract {
  /** The largest share (0 to 1) of the system's open records one extract may close; more refuses closing. */
  maxShare: number;
}

export interface Closing {
  closed: number;
  /** Why nothing was closed; null when closing went ahead. */
  refused: string | null;
}

export interface ClosingIntake {
  id: number;
  system: string;
  fileName: string;
}

const PRESENT = 'CREATE TEMPORARY TABLE intake_present (source_ref text NOT NULL) ON COMMIT DROP';
const COPY_PRESENT = 'COPY intake_present (source_ref) FROM STDIN';
const OPEN = 'SELECT count(*)::int AS n FROM source_record WHERE system = $1 AND current AND NOT closed';
// A version received since the intake started came another way (a push): not the file's to judge.
const ABSENT = `
  SELECT s.source_ref AS "sourceRef"
    FROM source_record s
   WHERE s.system = $1 AND s.current AND NOT s.closed
     AND s.received_at < (SELECT started_at FROM intake WHERE id = $2)
     AND NOT EXISTS (SELECT FROM intake_present p WHERE p.source_ref = s.source_ref)
   ORDER BY s.source_ref
     FOR UPDATE OF s`;
const RECORDS = `SELECT source_ref AS "sourceRef", record FROM source_record WHERE system = $1 AND source_ref = ANY($2::text[]) AND current`;
const NOTE = 'UPDATE intake SET closed = $2, closing_refused = $3 WHERE id = $1';

// Closing versions are stored as intake batches are, this many at a time.
const CHUNK = 2_000;
const COPY_CHUNK = 256 * 1024;

/** The record as last received, closed: every involvement it holds ends with it. */
export function closedRecord(record: SourceRecord): SourceRecord {
  return {
    ...record,
    closed: true,
    involvements: record.involvements.map((i) => (i.status === 'open' ? { ...i, status: 'closed' as const } : i)),
  };
}

async function copyPresent(db: pg.PoolClient, present: ReadonlySet<string>): Promise<void> {
  const stream = db.query(copyFrom(COPY_PRESENT));
  const done = new Promise<void>((resolve, reject) => {
    stream.on('finish', resolve);
    stream.on('error', reject);
  });
  let chunk = '';
  for (const ref of present) {
    chunk += `${copyText(ref)}\n`;
    if (chunk.length >= COPY_CHUNK) {
      if (!stream.write(chunk)) await Promise.race([once(stream, 'drain'), done]);
      chunk = '';
    }
  }
  stream.end(chunk);
  await done;
}

/**
 * Closes the system's open records that the full extract taken in as intake
 * `intake` lacked (`present` holds the source refs it read), in one
 * transaction on `db`, handing the closing versions to `onAccepted` in it.
 * Records the intake's counts show rejects for refuse closing.
 */
export async function closeAbsent(
  db: pg.PoolClient, intake: ClosingIntake, present: ReadonlySet<string>, counts: Counts, options: FullExtract,
  onAccepted?: (sourceRecordIds: number[], db: pg.PoolClient) => Promise<void>,
): Promise<Closing> {
  if (counts.rejected > 0) {
    const refused = `${counts.rejected} record(s) of the file were rejected, and a record among them would be closed by mistake; nothing was closed`;
    await db.query(NOTE, [intake.id, 0, refused]);
    return { closed: 0, refused };
  }
  await db.query('BEGIN');
  try {
    await db.query(PRESENT);
    await copyPresent(db, present);
    await db.query('ANALYZE intake_present');
    const open = (await db.query<{ n: number }>(OPEN, [intake.system])).rows[0]!.n;
    const absent = (await db.query<{ sourceRef: string }>(ABSENT, [intake.system, intake.id])).rows.map((r) => r.sourceRef);
    if (absent.length > options.maxShare * open) {
      await db.query('ROLLBACK');
      const percent = (n: number) => `${Math.round(n * 1000) / 10}%`;
      const refused = `the file lacks ${absent.length} of the system's ${open} open records (${percent(absent.length / open)}), `
        + `more than the ${percent(options.maxShare)} one full extract may close; nothing was closed`;
      await db.query(NOTE, [intake.id, 0, refused]);
      return { closed: 0, refused };
    }
    let closed = 0;
    for (let at = 0; at < absent.length; at += CHUNK) {
      const { rows } = await db.query<{ sourceRef: string; record: SourceRecord }>(RECORDS, [intake.system, absent.slice(at, at + CHUNK)]);
      const items: IntakeItem[] = rows.map((r) => ({
        kind: 'record', record: closedRecord(r.record), rawFormat: ABSENT_FORMAT,
        raw: JSON.stringify({ absentFromFullExtract: { intake: intake.id, file: intake.fileName } }),
        position: { file: intake.fileName, absent: 'full extract' },
      }));
      const ids = (await storePrepared(db, intake.id, intake.system, prepareItems(items, intake.id, intake.system))).flatMap((o) => (o.id === null ? [] : [o.id]));
      closed += ids.length;
      if (ids.length > 0) await onAccepted?.(ids, db);
    }
    await db.query(NOTE, [intake.id, closed, null]);
    await db.query('COMMIT');
    return { closed, refused: null };
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
