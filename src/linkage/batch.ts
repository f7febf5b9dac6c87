/**
 * Linking many records: everything not yet linked or changed since (or, after
 * re-training, everything), and the pipeline's batches by source record id.
 * Each batch of 1,000 is one transaction under the linkage lock.
 */
import type pg from 'pg';
import type { PersonRecord, PreparedPerson } from '../../matching/person/index.js';
import { endPool } from '../db/pool-guard.js';
import { pipelinedPool } from '../db/transaction.js';
import { reserveAccounts } from './accounts.js';
import { anyDecisionIn, BatchLinkStore, keepPrepared, preparedAt } from './batch-store.js';
import { ContentWorker, prepareHere, type SourceRow } from './content.js';
import { inTransaction, type LinkageContext } from './context.js';
import { recordKey } from './features.js';
import { linkIndexed } from './link.js';
import { LinkMirror } from './link-state.js';
import { currentOf, indexMany, indexNew, isChanged, MATCHED_COLUMNS, RECORD_STATES_SQL, type RecordState } from './person-index.js';

export interface LinkCounts {
  records: number;
  created: number;
  joined: number;
  kept: number;
  moved: number;
  steward: number;
  unchanged: number;
  merges: number;
  reviews: number;
}

const emptyLinkCounts = (): LinkCounts => ({ records: 0, created: 0, joined: 0, kept: 0, moved: 0, steward: 0, unchanged: 0, merges: 0, reviews: 0 });

type Key = { system: string; source_ref: string };

/** A record's content as linking compares it, at the version (source record id) and matched UPRN it was read at. */
interface Content { system: string; sourceRef: string; id: string; matchedUprn: string | null; features: PersonRecord; me: PreparedPerson; keys: string[] }

/** A batch's records as read ahead, by `system|source_ref#version`, and those of them indexed ahead (indexNew). */
interface ReadAhead { content: Map<string, Content>; indexed: Set<string> }

const SOURCES_SQL = (where: string) => `
  SELECT s.system, s.source_ref, s.id, s.record::text AS record, ${MATCHED_COLUMNS} FROM source_record s
    LEFT JOIN address_match am ON am.source_record_id = s.id
   WHERE ${where}`;
const CURRENT_SOURCES_SQL = SOURCES_SQL('(s.system, s.source_ref) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND s.current');
const VERSIONS_SQL = SOURCES_SQL('s.id = ANY($1::bigint[])');

/**
 * The current versions of the given records (and the given versions), read and
 * prepared: mapping to features, normalising and blocking keys (in the run's
 * worker when it has one). A batch's records are read ahead, outside its
 * transaction, while the batch before it is linked; its transaction checks
 * that each is still the version read.
 */
async function readContent(
  db: pg.Pool | pg.PoolClient, ctx: LinkageContext, which: { keys: readonly Key[] } | { ids: readonly string[] }, worker: ContentWorker | null,
): Promise<Map<string, Content>> {
  const { rows } = await db.query<SourceRow>(
    'keys' in which ? CURRENT_SOURCES_SQL : VERSIONS_SQL,
    'keys' in which ? [which.keys.map((k) => k.system), which.keys.map((k) => k.source_ref)] : [which.ids],
  );
  const known = (r: SourceRow) => preparedAt(ctx.tables, recordKey(r.system, r.source_ref), r.id);
  const prepared = worker ? await worker.prepare(rows, known) : await prepareHere(rows, ctx.tables, ctx.rules, known);
  const out = new Map<string, Content>();
  for (const [i, r] of rows.entries()) {
    const key = recordKey(r.system, r.source_ref);
    const { features, me, keys } = prepared[i]!;
    keepPrepared(ctx.tables, key, r.id, me);
    out.set(`${key}#${r.id}`, { system: r.system, sourceRef: r.source_ref, id: r.id, matchedUprn: r.matched_uprn, features, me, keys });
  }
  return out;
}

/** A record's state as read with the batch, its link followed through the merges made since. */
function currentIn(store: BatchLinkStore, row: RecordState): RecordState {
  if (row.citizen_id === null) return row;
  const now = store.survivorOf(Number(row.citizen_id));
  return now === Number(row.citizen_id) ? row : { ...row, citizen_id: String(now) };
}

/**
 * Links a batch in one transaction: the records' links read in one query, the
 * records (read ahead) indexed in one statement unless indexed ahead, their
 * candidates read together (or taken from the run's mirror, while the
 * database is still writing the index), then linked one by one in order in
 * memory, the outcomes written together. When steward decisions exist and a
 * record moves or merges accounts, the rest of the batch is read again,
 * since a decision may bear on the accounts their links moved to.
 */
async function linkBatch(
  db: pg.PoolClient, ctx: LinkageContext, keys: readonly Key[], { content: ahead, indexed: indexedAhead }: ReadAhead, force: boolean, counts: LinkCounts,
  mirror: LinkMirror | null,
): Promise<void> {
  let pending = [...keys];
  // Records chosen and indexed on an earlier read: linked whatever the re-read says.
  const chosen = new Set<string>();
  // Records whose content changed since indexed, as first read: a re-read finds them indexed by this batch.
  const changed = new Set<string>();
  while (pending.length > 0) {
    const { rows } = await db.query<RecordState>(RECORD_STATES_SQL, [pending.map((k) => k.system), pending.map((k) => k.source_ref)]);
    const byKey = new Map(rows.map((r) => [recordKey(r.system, r.source_ref), r]));
    const chosenRows = pending.flatMap((k) => {
      const key = recordKey(k.system, k.source_ref);
      const read = byKey.get(key);
      const again = chosen.has(key);
      if (!again) counts.records++;
      if (!read) return [];
      // Indexed ahead by this run at the version current now: as new to the index as linking goes.
      const ahead = read.indexed === read.id && indexedAhead.has(`${key}#${read.id}`);
      const row = ahead ? { ...read, indexed: null } : read;
      if (!again && currentOf(row) && !isChanged(row) && !force) {
        counts.unchanged++;
        return [];
      }
      if (!again && isChanged(row)) changed.add(key);
      return [{ key, again, changed: changed.has(key), row, indexedAhead: ahead }];
    });
    // A version taken in, or matched to another address, since the read ahead is read now.
    const stale = chosenRows.filter((c) => ahead.get(`${c.key}#${c.row.id}`)?.matchedUprn !== c.row.matched_uprn);
    if (stale.length > 0) for (const [at, content] of await readContent(db, ctx, { ids: stale.map((c) => c.row.id) }, null)) ahead.set(at, content);
    const restale = new Set(stale.map((c) => c.key));
    const work = chosenRows.map((c) => ({ ...c, ...(ahead.get(`${c.key}#${c.row.id}`) as Content) }));
    // Asked before the index is written: with the state in memory, nothing else the batch needs waits for that statement,
    // and the records are linked while the database writes it (statements after it on the connection follow it).
    await reserveAccounts(db, work.length);
    const anyDecision = anyDecisionIn(db);
    anyDecision.catch(() => undefined);
    const indexing = work.filter((w) => !w.again);
    // Indexed ahead with the content linked: nothing to write. Read again since: its keys from ahead are replaced.
    const indexed = indexMany(db, indexing.flatMap((w) => (!w.indexedAhead ? [w] : restale.has(w.key) ? [{ ...w, row: { ...w.row, indexed: w.row.id } }] : [])));
    indexed.catch(() => undefined);
    mirror?.index(indexing.map((w) => ({ key: w.key, version: w.row.id, keys: w.keys, me: w.me })));
    for (const w of work) chosen.add(w.key);
    pending = [];
    try {
      await linkWork(db, ctx, work, mirror, anyDecision, counts, (rest) => (pending = rest));
      await indexed;
    } catch (error) {
      // The index's own error rather than the "transaction is aborted" of a statement after it.
      await indexed;
      throw error;
    }
  }
}

/** Links a batch's records, read and indexed, in order in memory; `reread` takes the rest of the batch when it must be read again. */
async function linkWork(
  db: pg.PoolClient, ctx: LinkageContext, work: readonly (Content & { key: string; again: boolean; changed: boolean; row: RecordState })[], mirror: LinkMirror | null,
  anyDecision: Promise<boolean>, counts: LinkCounts, reread: (rest: Key[]) => void,
): Promise<void> {
  const store = await BatchLinkStore.load(db, ctx, work.map((w) => ({ system: w.row.system, sourceRef: w.row.source_ref, me: w.me, keys: w.keys })), mirror, anyDecision);
  for (const [i, w] of work.entries()) {
    const o = await linkIndexed(store, ctx, currentIn(store, w.row), w.me, w.keys);
    // Only a change of content: a record read again after a steward decision or a move is no change of its own.
    if (w.changed && o.citizenId !== null) await store.recordChanged(o.citizenId);
    if (o.action !== 'missing') counts[o.action]++;
    counts.merges += o.merges;
    counts.reviews += o.reviews;
    // Without steward decisions a move or merge changes no other record of the batch but for the account its link is in
    // now (currentIn); a decision on an account may bear on the records it gains, so those are read again.
    if (store.anyDecision && (o.merges > 0 || o.action === 'moved' || o.action === 'steward')) {
      reread(work.slice(i + 1).map((x) => ({ system: x.row.system, source_ref: x.row.source_ref })));
      break;
    }
  }
  await store.flush();
}

/**
 * How many more indexed records than records to link a run may load into a mirror: about 25 µs a record loaded
 * (bench/linkage-scale.ts, 227,602 records in 5.5 s), against reading blocks and accounts batch by batch: 132 µs a
 * record linked at that size, 302 µs at a million.
 */
const MIRROR_RATIO = 6;
/**
 * Batches read (and, with the state in memory, indexed) ahead of the one being linked: reading, preparing in the
 * worker and indexing a batch takes nearly as long as linking one, so one batch ahead was sometimes not ready.
 */
const READ_AHEAD = 2;
/** Loads a run may make of its mirror; when others keep linking between its batches, the rest of the run reads batch by batch. */
const MIRROR_LOADS = 3;

/** Whether a run linking this many records keeps the linkage state in memory (LinkMirror). */
async function mirrorWorthIt(ctx: LinkageContext, records: number): Promise<boolean> {
  const { rows } = await ctx.pool.query<{ n: number }>("SELECT greatest(reltuples, 0)::float8 AS n FROM pg_class WHERE oid = 'person_record'::regclass");
  return records * MIRROR_RATIO >= (rows[0]?.n ?? 0);
}

/**
 * Links in batches; each batch's records are read and prepared while the batch before it is linked. A large run
 * keeps the linkage state in memory across its batches, loaded again when another transaction took the linkage
 * lock between two of them.
 */
async function linkKeys(ctx: LinkageContext, keys: Key[], options: LinkAllOptions): Promise<LinkCounts> {
  const counts = emptyLinkCounts();
  const batch = options.batchSize ?? 1000;
  const worker = ContentWorker.worthIt(ctx.rules, keys.length, options.worker) ? new ContentWorker(ctx.tables, ctx.rules) : null;
  try {
    return await linkInBatches(ctx, keys, options, batch, worker, counts);
  } finally {
    await worker?.close();
  }
}

async function linkInBatches(ctx: LinkageContext, keys: Key[], options: LinkAllOptions, batch: number, worker: ContentWorker | null, counts: LinkCounts): Promise<LinkCounts> {
  let mirroring = keys.length > 0 && (options.mirror ?? (await mirrorWorthIt(ctx, keys.length)));
  let mirror = null as LinkMirror | null;
  let loads = 0;
  const readAhead = (from: number) => {
    const read = (async (): Promise<ReadAhead> => {
      const content = await readContent(ctx.pool, ctx, { keys: keys.slice(from, from + batch) }, worker);
      // With the state in memory, records new to the index are indexed here, beside the batch before, instead of in
      // their own batch's transaction. A batch reading blocks from the database would count them in block sizes.
      const indexed = mirroring ? await indexNew(ctx.pool, [...content.values()]) : new Set<string>();
      return { content, indexed };
    })();
    // Awaited when its batch comes; a failure meanwhile is no unhandled rejection.
    read.catch(() => undefined);
    return read;
  };
  const reads: Promise<ReadAhead>[] = [];
  for (let from = 0; from < keys.length && reads.length < READ_AHEAD; from += batch) reads.push(readAhead(from));
  // A batch sends statements without waiting for the ones before (the index, its writes, merges): a pipelining
  // connection puts each on the wire at once. An idle connection that fails is simply not handed out again.
  const writes = pipelinedPool(ctx.pool, () => undefined);
  try {
    for (let i = 0; i < keys.length; i += batch) {
      const ahead = await reads.shift()!;
      if (i + READ_AHEAD * batch < keys.length) reads.push(readAhead(i + READ_AHEAD * batch));
      const generation = await inTransaction(writes, async (db, generation) => {
        if (mirroring && !mirror?.currentAt(generation)) {
          mirroring = loads++ < MIRROR_LOADS;
          mirror = mirroring ? await LinkMirror.load(db) : null;
        }
        mirror?.changing();
        await linkBatch(db, ctx, keys.slice(i, i + batch), ahead, options.relink ?? false, counts, mirror);
        return generation;
      });
      mirror?.settled(generation);
      await options.onProgress?.(counts, keys.length);
    }
  } finally {
    await endPool(writes);
  }
  return counts;
}

export interface LinkAllOptions {
  /** Re-evaluate every current record (after re-training), not only new and changed ones. */
  relink?: boolean;
  batchSize?: number;
  /** Keep the linkage state in memory across batches (LinkMirror); by default when the run is large beside what is indexed. */
  mirror?: boolean;
  /** Prepare records in a worker thread (ContentWorker); by default for a large run. */
  worker?: boolean;
  /** Called between batches, awaited. */
  onProgress?: (counts: LinkCounts, total: number) => void | Promise<void>;
}

/**
 * Records with a date of birth are linked first: they found the accounts, and
 * a record without one (which cannot tell a father from his son of the same
 * name) then meets every account it could belong to, and goes to review when
 * it matches two that are kept apart, instead of joining whichever came first.
 */
const DOB_FIRST = "(record->>'dateOfBirth' IS NULL)";

/** Links every current source record not yet linked or changed since (all of them with `relink`), records with a date of birth first, then in id order. */
export async function linkAll(ctx: LinkageContext, options: LinkAllOptions = {}): Promise<LinkCounts> {
  const { rows } = await ctx.pool.query<{ system: string; source_ref: string }>(
    options.relink
      ? `SELECT system, source_ref FROM source_record WHERE current ORDER BY ${DOB_FIRST}, id`
      : `SELECT s.system, s.source_ref FROM source_record s
           LEFT JOIN person_record p ON p.system = s.system AND p.source_ref = s.source_ref
          WHERE s.current AND (p.source_record_id IS DISTINCT FROM s.id
                OR NOT EXISTS (SELECT 1 FROM citizen_link l WHERE l.system = s.system AND l.source_ref = s.source_ref AND l.ended_at IS NULL))
          ORDER BY ${DOB_FIRST}, s.id`,
  );
  return linkKeys(ctx, rows, options);
}

/** Links the given source record versions (the pipeline's batch); ids of superseded versions link the current one. */
export async function linkSourceRecords(ctx: LinkageContext, ids: readonly number[], options: Omit<LinkAllOptions, 'relink'> = {}): Promise<LinkCounts> {
  const { rows } = await ctx.pool.query<{ system: string; source_ref: string }>(
    `SELECT system, source_ref FROM (SELECT DISTINCT ON (system, source_ref) system, source_ref, id, record FROM source_record WHERE id = ANY($1::bigint[])
      ORDER BY system, source_ref, id) x ORDER BY ${DOB_FIRST}, id`,
    [ids],
  );
  return linkKeys(ctx, rows, options);
}
