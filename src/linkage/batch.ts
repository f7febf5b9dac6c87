/**
 * Linking many records: everything not yet linked or changed since (or, after
 * re-training, everything), and the pipeline's batches by source record id.
 * Each batch of 1,000 is one transaction under the linkage lock.
 */
import type pg from 'pg';
import { BatchLinkStore, preparedOf } from './batch-store.js';
import { inTransaction, type LinkageContext } from './context.js';
import { personFeatures, recordKey } from './features.js';
import { linkIndexed } from './link.js';
import { blockKeys, currentOf, indexMany, isChanged, RECORDS_SQL, type RecordRow } from './person-index.js';

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

/**
 * Links a batch in one transaction: the records and their links are read in
 * one query and indexed in one statement, their candidates read together,
 * then linked one by one in order in memory, the outcomes written together.
 * When a record moves or merges accounts, the rest of the batch is read
 * again, since their links may have moved with it.
 */
/** A record's row as read with the batch, its link followed through the merges made since. */
function currentIn(store: BatchLinkStore, row: RecordRow): RecordRow {
  if (row.citizen_id === null) return row;
  const now = store.survivorOf(Number(row.citizen_id));
  return now === Number(row.citizen_id) ? row : { ...row, citizen_id: String(now) };
}

async function linkBatch(db: pg.PoolClient, ctx: LinkageContext, keys: readonly { system: string; source_ref: string }[], force: boolean, counts: LinkCounts): Promise<void> {
  let pending = [...keys];
  // Records chosen and indexed on an earlier read: linked whatever the re-read says.
  const chosen = new Set<string>();
  while (pending.length > 0) {
    const { rows } = await db.query<RecordRow>(RECORDS_SQL, [pending.map((k) => k.system), pending.map((k) => k.source_ref)]);
    const byKey = new Map(rows.map((r) => [recordKey(r.system, r.source_ref), r]));
    const work = pending.flatMap((k) => {
      const key = recordKey(k.system, k.source_ref);
      const row = byKey.get(key);
      const again = chosen.has(key);
      if (!again) counts.records++;
      if (!row) return [];
      if (!again && currentOf(row) && !isChanged(row) && !force) {
        counts.unchanged++;
        return [];
      }
      const features = personFeatures(row.record, row.matched_uprn);
      const me = preparedOf(ctx.tables, key, row.id, features);
      return [{ key, again, row, features, me, keys: blockKeys(ctx, me) }];
    });
    await indexMany(db, work.filter((w) => !w.again));
    for (const w of work) chosen.add(w.key);
    pending = [];
    const store = await BatchLinkStore.load(db, ctx, work.map((w) => ({ system: w.row.system, sourceRef: w.row.source_ref, me: w.me, keys: w.keys })));
    for (const [i, w] of work.entries()) {
      const o = await linkIndexed(store, ctx, currentIn(store, w.row), w.me, w.keys);
      if ((w.again || isChanged(w.row)) && o.citizenId !== null) await store.recordChanged(o.citizenId);
      if (o.action !== 'missing') counts[o.action]++;
      counts.merges += o.merges;
      counts.reviews += o.reviews;
      // Without steward decisions a move or merge changes no other record of the batch but for the account its link is in
      // now (currentIn); a decision on an account may bear on the records it gains, so those are read again.
      if (store.anyDecision && (o.merges > 0 || o.action === 'moved' || o.action === 'steward')) {
        pending = work.slice(i + 1).map((x) => ({ system: x.row.system, source_ref: x.row.source_ref }));
        break;
      }
    }
    await store.flush();
  }
}

async function linkKeys(ctx: LinkageContext, keys: { system: string; source_ref: string }[], options: LinkAllOptions): Promise<LinkCounts> {
  const counts = emptyLinkCounts();
  const batch = options.batchSize ?? 1000;
  for (let i = 0; i < keys.length; i += batch) {
    await inTransaction(ctx.pool, (db) => linkBatch(db, ctx, keys.slice(i, i + batch), options.relink ?? false, counts));
    options.onProgress?.(counts, keys.length);
  }
  return counts;
}

export interface LinkAllOptions {
  /** Re-evaluate every current record (after re-training), not only new and changed ones. */
  relink?: boolean;
  batchSize?: number;
  onProgress?: (counts: LinkCounts, total: number) => void;
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
