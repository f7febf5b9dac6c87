/**
 * `hub linkage train`: the person model trained without labels on the
 * current source records (u from seeded random pairs, m by EM over the
 * blocked candidate pairs), stored as a new active version. Steward
 * decisions are not inputs: they override whatever any model says.
 */
import type pg from 'pg';
import type { SourceRecord } from '../../schemas/source-record.js';
import {
  candidatePairs, prepare, TRAINING_BLOCKING_RULES, trainModel,
  type BlockingRule, type CandidatePair, type PersonModel, type PrepareTables, type PreparedPerson,
} from '../../matching/person/index.js';
import { saveModel } from './context.js';
import { personFeatures } from './features.js';

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
    const { rows } = await db.query<{ id: string; record: SourceRecord; matched_uprn: string | null }>(
      `SELECT s.id, s.record, am.uprn AS matched_uprn FROM source_record s
         LEFT JOIN address_match am ON am.source_record_id = s.id AND am.status = 'matched' AND am.source_record_id > $1
        WHERE s.current AND s.id > $1 ORDER BY s.id LIMIT $2`, [after, READ_CHUNK],
    );
    for (const r of rows) people.push(prepare(personFeatures(r.record, r.matched_uprn), tables));
    if (rows.length < READ_CHUNK) return people;
    after = rows[rows.length - 1]!.id;
  }
}

/** The block size above which candidatePairs skips a block (its default, as training calls it). */
const MAX_BLOCK = 1000;

/** A JavaScript Set holds at most 2^24 entries: candidatePairs' set of pairs seen overflows beyond that. */
const SET_LIMIT = 2 ** 24;

/** Records (by position) of each key of a rule, as candidatePairs indexes them. */
function blocksOf(people: readonly PreparedPerson[], rule: BlockingRule): Map<string, number[]> {
  const blocks = new Map<string, number[]>();
  people.forEach((record, i) => {
    for (const key of new Set(rule.keys(record))) {
      const block = blocks.get(key);
      if (block) block.push(i);
      else blocks.set(key, [i]);
    }
  });
  return blocks;
}

/**
 * A set of non-negative integers below 2^53 (pair ids) by open addressing in a Float64Array: no size limit but memory,
 * and about 16 bytes an entry instead of a Set's 40 or so.
 */
class PairIdSet {
  private table = new Float64Array(1 << 20).fill(-1);
  private size = 0;

  /** Adds an id; false when it was there already. */
  add(id: number): boolean {
    if (this.size * 2 >= this.table.length) this.grow();
    const mask = this.table.length - 1;
    for (let at = PairIdSet.hash(id) & mask; ; at = (at + 1) & mask) {
      const v = this.table[at]!;
      if (v === id) return false;
      if (v === -1) {
        this.table[at] = id;
        this.size++;
        return true;
      }
    }
  }

  private static hash(id: number): number {
    const lo = id >>> 0;
    const hi = Math.floor(id / 4294967296) >>> 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    return (h ^ (h >>> 16)) >>> 0;
  }

  private grow(): void {
    const old = this.table;
    this.table = new Float64Array(old.length * 2).fill(-1);
    this.size = 0;
    for (const v of old) if (v !== -1) this.add(v);
  }
}

/**
 * The training pairs: candidatePairs(people, null, rules) itself when its pairs fit its set, else the same pairs in the
 * same order from the same loops with a set without that limit (a million council records give tens of millions).
 */
export function trainingPairs(people: readonly PreparedPerson[], rules: readonly BlockingRule[] = TRAINING_BLOCKING_RULES, setLimit = SET_LIMIT): CandidatePair[] {
  const byRule = rules.map((rule) => blocksOf(people, rule));
  let most = 0;
  for (const blocks of byRule) for (const block of blocks.values()) if (block.length <= MAX_BLOCK) most += (block.length * (block.length - 1)) / 2;
  if (most < setLimit) return candidatePairs(people, null, rules, MAX_BLOCK).pairs;
  const seen = new PairIdSet();
  const pairs: CandidatePair[] = [];
  for (const blocks of byRule) {
    for (const ls of blocks.values()) {
      if (ls.length > MAX_BLOCK) continue;
      for (const l of ls) {
        for (const r of ls) {
          if (r <= l) continue;
          if (seen.add(l * people.length + r)) pairs.push({ left: l, right: r });
        }
      }
    }
  }
  return pairs;
}

export async function trainFromDatabase(pool: pg.Pool, tables: PrepareTables, options: { seed?: number; randomPairs?: number } = {}): Promise<TrainResult> {
  const seed = options.seed ?? DEFAULT_SEED;
  const people = await currentPeople(pool, tables);
  if (people.length < 2) throw new Error('training needs at least two current source records');
  const pairs = trainingPairs(people);
  const model = trainModel(people, null, pairs, { seed, ...(options.randomPairs ? { randomPairs: options.randomPairs } : {}) });
  return { version: await saveModel(pool, model, seed), model };
}
