/**
 * `hub linkage train`: the person model trained without labels on the
 * current source records (u from seeded random pairs, m by EM over the
 * blocked candidate pairs), stored as a new active version. Steward
 * decisions are not inputs: they override whatever any model says.
 */
import type pg from 'pg';
import type { ParsedAddress } from '../../matching/address/index.js';
import type { SourceRecord } from '../../schemas/source-record.js';
import {
  candidatePairs, prepare, TRAINING_BLOCKING_RULES, trainModel, type PersonModel, type PrepareTables, type PreparedPerson,
} from '../../matching/person/index.js';
import { saveModel } from './context.js';
import { personFeatures } from './features.js';
import { MATCHED_COLUMNS } from './person-index.js';

export interface TrainResult {
  version: number;
  model: PersonModel;
}

export const DEFAULT_SEED = 20240601;

/** Records read per query: a million records' JSON at once would hold gigabytes; prepared, they are much smaller. */
const READ_CHUNK = 50_000;

/** Prepared features of every current source record, in id order (deterministic for the same data). */
export async function currentPeople(pool: pg.Pool, tables: PrepareTables): Promise<PreparedPerson[]> {
  const db = await pool.connect();
  try {
    // One snapshot for every chunk, as one query would read them.
    await db.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const people = await readPeople(db, tables);
    await db.query('COMMIT');
    return people;
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    db.release();
  }
}

async function readPeople(db: pg.PoolClient, tables: PrepareTables): Promise<PreparedPerson[]> {
  const people: PreparedPerson[] = [];
  // The match's id bound too: a merge join then starts both indexes at the chunk instead of reading the matches before it.
  let after = '0';
  for (;;) {
    const { rows } = await db.query<{ id: string; record: SourceRecord; matched_uprn: string | null; matched_parse: ParsedAddress | null }>(
      `SELECT s.id, s.record, ${MATCHED_COLUMNS} FROM source_record s
         LEFT JOIN address_match am ON am.source_record_id = s.id AND am.source_record_id > $1
        WHERE s.current AND s.id > $1 ORDER BY s.id LIMIT $2`, [after, READ_CHUNK],
    );
    for (const r of rows) people.push(prepare(personFeatures(r.record, r.matched_uprn, r.matched_parse), tables));
    if (rows.length < READ_CHUNK) return people;
    after = rows[rows.length - 1]!.id;
  }
}

/** The block size above which candidatePairs skips a block (its default, as training calls it). */
const MAX_BLOCK = 1000;

export async function trainFromDatabase(pool: pg.Pool, tables: PrepareTables, options: { seed?: number; randomPairs?: number } = {}): Promise<TrainResult> {
  const seed = options.seed ?? DEFAULT_SEED;
  const people = await currentPeople(pool, tables);
  if (people.length < 2) throw new Error('training needs at least two current source records');
  const { pairs } = candidatePairs(people, null, TRAINING_BLOCKING_RULES, MAX_BLOCK);
  const model = trainModel(people, null, pairs, { seed, ...(options.randomPairs ? { randomPairs: options.randomPairs } : {}) });
  return { version: await saveModel(pool, model, seed), model };
}
