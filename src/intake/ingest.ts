/**
 * Intake of one file or one pushed batch: mapped items are stored in small
 * transactions (a crash loses at most the batch in hand, and a re-run is
 * idempotent), the intake's counts are kept current for progress, and every
 * new current version is handed to the pipeline. The session storing an
 * intake holds an advisory lock on it, so that an intake whose process went
 * away can be told from one still running (see interruptAbandoned).
 */
import type pg from 'pg';
import type { MappedItem } from '../../adapters/mapping/index.js';
import { count, emptyCounts, ItemPreparer, storePrepared, type Counts, type IntakeItem, type Position, type PreparedItems } from './store.js';
import { errorMessage } from '../logging.js';

export interface IntakeSource {
  system: string;
  channel: 'file' | 'push';
  fileName?: string | null;
  requestId?: string | null;
  clientId?: number | null;
  rawFormat: string;
  /** The file holds every open record of the system (see close-absent.ts). */
  fullExtract?: boolean;
  /**
   * The intake's source time: when the source made the file (ISO 8601); the
   * intake's start when not given (always so for a push), never later.
   * Versions without an update time of their own are ordered by it (see
   * storePrepared).
   */
  extractedAt?: string;
}

export interface IngestOptions {
  batchSize?: number;
  onProgress?: (counts: Counts) => void;
  /** Sessions storing side by side, each a share of every batch by source ref (default 1). */
  lanes?: number;
  /** Called in each batch's transaction, before it commits, with the ids of new current versions. */
  onAccepted?: (sourceRecordIds: number[], db: pg.PoolClient) => Promise<void>;
  /** After the last batch, before the intake is marked done, on the session that holds the intake's lock. */
  beforeFinish?: (session: pg.PoolClient, counts: Counts) => Promise<void>;
}

/** The advisory lock class of intakes (the second key is the intake id): held by the session storing the intake. */
export const INTAKE_LOCK_CLASS = 0x494e54;

// The lock is taken in the statement that creates the intake, so that it is never visible as running without its owner.
// The source time is never after the start (a clock ahead of the database's): the file was read from then.
const CREATE = `
  WITH created AS (
    INSERT INTO intake (system, channel, file_name, request_id, client_id, full_extract, extracted_at)
    VALUES ($1, $2, $3, $4, $5, $6, least(coalesce($7::timestamptz, now()), now())) RETURNING id)
  SELECT id, pg_advisory_lock(${INTAKE_LOCK_CLASS}, id::int) FROM created`;
const CLAIM = `SELECT pg_advisory_lock(${INTAKE_LOCK_CLASS}, $1::int)`;
const UNLOCK = `SELECT pg_advisory_unlock(${INTAKE_LOCK_CLASS}, $1::int)`;
/** SQL true when intake `alias` is owned by a live session. */
export const ownedSql = (alias: string): string => `EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid = ${INTAKE_LOCK_CLASS} AND l.objid = ${alias}.id::int::oid AND l.objsubid = 2)`;
const INTERRUPT = `
  UPDATE intake i SET status = 'interrupted', error = 'the process taking it in stopped before it finished', finished_at = now()
   WHERE i.status = 'running' AND NOT ${ownedSql('i')} RETURNING id`;
const PROGRESS = `UPDATE intake SET read = read + $2, accepted = accepted + $3, unchanged = unchanged + $4, superseded = superseded + $5, rejected = rejected + $6, stale = stale + $7 WHERE id = $1`;
const FINISH = `UPDATE intake SET status = $2, error = $3, finished_at = now() WHERE id = $1`;

/** An intake's error when it failed in storing, not in reading what it was given. */
export const INTERNAL_ERROR = 'internal-error: the hub failed while storing the records (its log says why); '
  + 'what was stored before stays, and taking the same records in again is safe';

/** Errors of the storing, as against the reading: their text is not the intake's to show. */
const internal = new WeakSet<object>();

function storingFailed(error: unknown): unknown {
  if (typeof error === 'object' && error !== null) internal.add(error);
  return error;
}

/**
 * Two intakes storing a version of the same record at once. Each works out
 * the record's next version from what is stored when its batch starts; the
 * one that commits second finds that version number (or a current version)
 * taken: PostgreSQL refuses its row, and its batch is worked out again,
 * seeing the other's version. Serialising by lock instead would take one
 * advisory lock per record, which a full extract's closing (tens of
 * thousands of records in one transaction) would run the lock table out of.
 */
function isVersionRace(error: unknown): boolean {
  const e = error as { code?: unknown; table?: unknown } | null;
  return e?.code === '23505' && e.table === 'source_record';
}

/** Attempts at a batch that keeps meeting other intakes' versions: each retry follows another's commit, so few are needed. */
const RACE_ATTEMPTS = 20;

/** Sessions holding the lock of an intake created here, until ingestItems takes them over. */
const owners = new Map<number, pg.PoolClient>();

/** Marks every running intake whose owning session has gone as interrupted; returns their ids. */
export async function interruptAbandoned(db: pg.Pool | pg.PoolClient): Promise<number[]> {
  return (await db.query<{ id: number }>(INTERRUPT)).rows.map((r) => r.id);
}

/** A new running intake, owned by this process until ingestItems finishes it. */
export async function createIntake(pool: pg.Pool, source: IntakeSource): Promise<number> {
  const client = await pool.connect();
  try {
    const id = (await client.query<{ id: number }>(CREATE, [
      source.system, source.channel, source.fileName ?? null, source.requestId ?? null, source.clientId ?? null, source.fullExtract ?? false,
      source.extractedAt ?? null,
    ])).rows[0]!.id;
    owners.set(id, client);
    return id;
  } catch (error) {
    client.release(error instanceof Error ? error : true);
    throw error;
  }
}

/**
 * Ends an intake created here whose records the caller stored itself (with
 * storeItem, as tests and benchmarks do) instead of through ingestItems:
 * marks it done and lets its session, and so its lock, go.
 */
export async function closeIntake(intakeId: number): Promise<void> {
  const client = owners.get(intakeId);
  if (!client) return;
  owners.delete(intakeId);
  try {
    await client.query(FINISH, [intakeId, 'done', null]);
    await client.query(UNLOCK, [intakeId]);
    client.release();
  } catch (error) {
    client.release(true);
    throw error;
  }
}

const NUL = '\u0000';

/** A mapped item as the intake stores it, with its position in the file or request. */
export function intakeItem(mapped: MappedItem, source: IntakeSource): IntakeItem {
  const position: Position = source.channel === 'file'
    ? { file: source.fileName ?? '', ...(mapped.position.line !== undefined ? { line: mapped.position.line } : {}), index: mapped.position.index }
    : { requestId: source.requestId ?? '', index: mapped.position.index };
  if ('reject' in mapped) {
    // PostgreSQL text cannot hold NUL: a record rejected for it keeps no raw text, and a reader's reason quoting it (a tag name) is masked.
    const raw = mapped.raw?.includes(NUL) ? null : mapped.raw;
    const reason = mapped.reject.message.includes(NUL) ? mapped.reject.message.replaceAll(NUL, '\uFFFD') : mapped.reject.message;
    return { kind: 'reject', position, field: mapped.reject.field, rule: mapped.reject.rule, reason, raw, sourceRef: mapped.reject.sourceRef ?? null };
  }
  return { kind: 'record', record: mapped.record, raw: mapped.raw, rawFormat: source.rawFormat, position };
}

/** Stores everything `items` yields under intake `intakeId`; returns the final counts. */
export async function ingestItems(pool: pg.Pool, intakeId: number, source: IntakeSource, items: AsyncIterable<MappedItem>, options: IngestOptions = {}): Promise<Counts> {
  const batchSize = options.batchSize ?? 500;
  async function* batches(): AsyncGenerator<PreparedItems> {
    const batch = new ItemPreparer(intakeId, source.system);
    for await (const mapped of items) {
      batch.add(intakeItem(mapped, source));
      if (batch.length >= batchSize) yield batch.take();
    }
    if (batch.length > 0) yield batch.take();
  }
  return ingestPrepared(pool, intakeId, source, batches(), options);
}

/** The lane (0 to lanes - 1) of a source ref: every version of one ref is stored by one session, in order. */
function laneOf(sourceRef: string, lanes: number): number {
  let h = 0;
  for (let i = 0; i < sourceRef.length; i++) h = (h * 31 + sourceRef.charCodeAt(i)) | 0;
  return (h >>> 0) % lanes;
}

/** A batch's items split by lane, sharing its rows; rejects go with lane 0. */
function splitByLane(batch: PreparedItems, lanes: number): PreparedItems[] {
  if (lanes === 1) return [batch];
  const split = Array.from({ length: lanes }, (): PreparedItems => ({ system: batch.system, items: [], rows: batch.rows }));
  for (const item of batch.items) split[item.kind === 'record' ? laneOf(item.sourceRef, lanes) : 0]!.items.push(item);
  return split;
}

/**
 * Stores batches of items prepared for intake `intakeId` (by ingestItems, or
 * by a worker thread for files). With `lanes` above 1, each batch is split
 * by source ref over that many sessions storing side by side (PostgreSQL's
 * share of an intake then runs on more than one core): all versions of a ref
 * go through one session, in order, so each ref's outcomes are as if stored
 * one by one; every transaction still holds its records, their pipeline job
 * and its counts, added to the intake's.
 */
export async function ingestPrepared(pool: pg.Pool, intakeId: number, source: IntakeSource, batches: AsyncIterable<PreparedItems>, options: IngestOptions = {}): Promise<Counts> {
  const counts = emptyCounts();
  // The first session holds the intake's lock for the whole intake; the others only store.
  let client = owners.get(intakeId);
  owners.delete(intakeId);
  if (!client) {
    client = await pool.connect();
    await client.query(CLAIM, [intakeId]).catch((error: unknown) => {
      client!.release(true);
      throw error;
    });
  }
  const session = client;
  const sessions: pg.PoolClient[] = [session];
  const lanes = Math.max(1, options.lanes ?? 1);
  /** One batch in one transaction: its records, their pipeline job and its counts go together. */
  const storeBatch = async (client: pg.PoolClient, chunk: PreparedItems): Promise<Counts> => {
    const accepted: number[] = [];
    const added = emptyCounts();
    // Not waiting for each batch's WAL flush is crash-safe here: FINISH commits synchronously, which flushes every
    // batch before it; a killed ingest process loses nothing committed (the server flushes it all the same); only a
    // crash of the database server itself can lose the last batches' commits, and then records, their pipeline jobs
    // and the progress counts go together (one transaction), the intake shows interrupted, and taking the file in
    // again stores just what was lost (the rest is unchanged by content hash).
    await client.query('BEGIN; SET LOCAL synchronous_commit = off');
    for (const { outcome, id } of await storePrepared(client, intakeId, source.system, chunk)) {
      count(added, outcome);
      if (id !== null) accepted.push(id);
    }
    // Added, not set: the lanes' transactions commit in any order.
    await client.query(PROGRESS, [intakeId, added.read, added.accepted, added.unchanged, added.superseded, added.rejected, added.stale]);
    // In the batch's transaction: a crash can never leave stored records that the pipeline was not told of.
    if (accepted.length > 0) await options.onAccepted?.(accepted, client);
    await client.query('COMMIT');
    return added;
  };
  const storeRacing = async (client: pg.PoolClient, chunk: PreparedItems): Promise<Counts> => {
    // Another intake storing a version of one of the batch's records at the same time (see isVersionRace): the batch
    // is worked out again from what is stored once that intake has committed.
    for (let attempt = 1; ; attempt++) {
      try {
        return await storeBatch(client, chunk);
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        if (attempt < RACE_ATTEMPTS && isVersionRace(error)) continue;
        throw storingFailed(error);
      }
    }
  };
  const flush = async (client: pg.PoolClient, chunk: PreparedItems) => {
    if (chunk.items.length === 0) return;
    const added = await storeRacing(client, chunk);
    counts.read += added.read;
    counts.accepted += added.accepted;
    counts.unchanged += added.unchanged;
    counts.superseded += added.superseded;
    counts.stale += added.stale;
    counts.rejected += added.rejected;
    options.onProgress?.(counts);
  };
  // Each lane stores one batch while the next is prepared; a lane's batches commit one after another, in order.
  const storing: Promise<void>[] = [];
  try {
    for (let i = 1; i < lanes; i++) sessions.push(await pool.connect());
    for (let i = 0; i < lanes; i++) storing.push(Promise.resolve());
    for await (const batch of batches) {
      const split = splitByLane(batch, lanes);
      for (let i = 0; i < lanes; i++) {
        await storing[i];
        storing[i] = flush(sessions[i]!, split[i]!);
        // Handled when awaited: a failure must not count as unhandled while the next batch is prepared.
        storing[i]!.catch(() => undefined);
      }
    }
    await Promise.all(storing);
    await options.beforeFinish?.(session, counts).catch((error: unknown) => {
      throw storingFailed(error);
    });
    await session.query(FINISH, [intakeId, 'done', null]);
    await session.query(UNLOCK, [intakeId]);
    session.release();
    for (const other of sessions.slice(1)) other.release();
    return counts;
  } catch (error) {
    await Promise.allSettled(storing);
    // A fault of the hub's own in storing is shown by a stable code: its text (a constraint, a value) is for the log.
    const message = [intakeId, 'failed', internal.has(error as object) ? INTERNAL_ERROR : errorMessage(error)];
    // On the session while it still works (a failed batch was rolled back); otherwise the session is let go first, so
    // that a small pool is free for the write, and its lock goes with it.
    const written = await session.query(FINISH, message).then(() => session.query(UNLOCK, [intakeId])).then(() => true, () => false);
    session.release(written ? undefined : true);
    for (const other of sessions.slice(1)) other.release(true);
    if (!written) await pool.query(FINISH, message).catch(() => undefined);
    throw error;
  }
}
