/**
 * `hub linkage train`: the person model trained without labels on the
 * current source records (u from seeded random pairs, m by EM over the
 * blocked candidate pairs), stored as a new active version. Steward
 * decisions are not inputs: they override whatever any model says.
 */
import type pg from 'pg';
import type { SourceRecord } from '../../schemas/source-record.js';
import { candidatePairs, prepare, TRAINING_BLOCKING_RULES, trainModel, type PersonModel, type PrepareTables, type PreparedPerson } from '../../matching/person/index.js';
import { saveModel } from './context.js';
import { personFeatures } from './features.js';

export interface TrainResult {
  version: number;
  model: PersonModel;
}

export const DEFAULT_SEED = 20240601;

/** Prepared features of every current source record, in id order (deterministic for the same data). */
export async function currentPeople(pool: pg.Pool, tables: PrepareTables): Promise<PreparedPerson[]> {
  const { rows } = await pool.query<{ record: SourceRecord; matched_uprn: string | null }>(
    `SELECT s.record, am.uprn AS matched_uprn FROM source_record s
       LEFT JOIN address_match am ON am.source_record_id = s.id AND am.status = 'matched'
      WHERE s.current ORDER BY s.id`,
  );
  return rows.map((r) => prepare(personFeatures(r.record, r.matched_uprn), tables));
}

export async function trainFromDatabase(pool: pg.Pool, tables: PrepareTables, options: { seed?: number; randomPairs?: number } = {}): Promise<TrainResult> {
  const seed = options.seed ?? DEFAULT_SEED;
  const people = await currentPeople(pool, tables);
  if (people.length < 2) throw new Error('training needs at least two current source records');
  const { pairs } = candidatePairs(people, null, TRAINING_BLOCKING_RULES);
  const model = trainModel(people, null, pairs, { seed, ...(options.randomPairs ? { randomPairs: options.randomPairs } : {}) });
  return { version: await saveModel(pool, model, seed), model };
}
