/**
 * Closing what a full extract lacks. A full extract holds every open record
 * of its system, so a record it lacks was closed at the source (a tenancy
 * ended, a joint liable party left the account). Such a record gets a closing
 * version (closing.ts), its content as last received marked closed, so that
 * it no longer gives its person a home or makes them an occupant, and its
 * history stays. When it comes back in a later intake it opens again
 * (store.ts).
 *
 * Closing is refused, with nothing closed, when the file holds no records
 * (a failed transfer, which would close them all), when it had rejects (a
 * record among them would be closed by mistake), when it was made before a
 * full extract of the system already taken (it is older news), or when it
 * would close more than the allowed share of the system's open records (a
 * truncated or wrong file). A record whose current version was received at
 * or after the time the file was made is not the file's to judge.
 */
import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { storeClosingVersions } from './closing.js';
import { ABSENT_FORMAT, copyText, type Counts } from './store.js';

/**
 * A full extract's closing. When the source made the file is the intake's
 * source time (`extractedAt` of ingestFile: intake.extracted_at): records
 * received since are not closed, and closing is refused when a full extract
 * of the system made later has been taken already.
 */
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
/** When the file was made: the intake's source time (set for every intake, see createIntake and migration 040). */
const MADE = 'i.extracted_at';
// A version received since the file was made came after it (a push, another intake): not the file's to judge.
const ABSENT = `
  SELECT s.source_ref AS "sourceRef"
    FROM source_record s
   WHERE s.system = $1 AND s.current AND NOT s.closed
     AND s.received_at < (SELECT ${MADE} FROM intake i WHERE i.id = $2)
     AND NOT EXISTS (SELECT FROM intake_present p WHERE p.source_ref = s.source_ref)
   ORDER BY s.source_ref
     FOR UPDATE OF s`;
// The full extract of the system taken in before this one (done: every record of it stored) that was made last, when made after this one.
const NEWER = `
  SELECT l.id, to_char(l.made AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "made",
         to_char(t.made AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "thisMade"
    FROM (SELECT ${MADE} AS made FROM intake i WHERE i.id = $2) t,
         LATERAL (SELECT i.id, ${MADE} AS made FROM intake i
                   WHERE i.system = $1 AND i.full_extract AND i.status = 'done' AND i.id <> $2
                   ORDER BY made DESC, i.id DESC LIMIT 1) l
   WHERE l.made > t.made`;
const NOTE = 'UPDATE intake SET closed = $2, closing_refused = $3 WHERE id = $1';

const COPY_CHUNK = 256 * 1024;

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
  // Whatever share may be closed: an extract of nothing is a failed transfer far more often than a system emptied.
  if (present.size === 0) {
    const refused = 'the file holds no records: an extract without any is most likely a failed transfer, and would close every record of '
      + `${intake.system}; nothing was closed`;
    await db.query(NOTE, [intake.id, 0, refused]);
    return { closed: 0, refused };
  }
  if (counts.rejected > 0) {
    const refused = `${counts.rejected} record(s) of the file were rejected, and a record among them would be closed by mistake; nothing was closed`;
    await db.query(NOTE, [intake.id, 0, refused]);
    return { closed: 0, refused };
  }
  const newer = (await db.query<{ id: number; made: string; thisMade: string }>(NEWER, [intake.system, intake.id])).rows[0];
  if (newer) {
    const refused = `the file was made at ${newer.thisMade}, before the full extract of ${intake.system} made at ${newer.made} `
      + `and taken in already (intake ${newer.id}): the records it lacks may have opened since; nothing was closed`;
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
    const raw = JSON.stringify({ absentFromFullExtract: { intake: intake.id, file: intake.fileName } });
    const closed = (await storeClosingVersions(db, intake, absent, {
      rawFormat: ABSENT_FORMAT, raw: () => raw, position: () => ({ file: intake.fileName, absent: 'full extract' }),
    }, onAccepted)).length;
    await db.query(NOTE, [intake.id, closed, null]);
    await db.query('COMMIT');
    return { closed, refused: null };
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
