/**
 * Matching the addresses of stored source records: the pipeline step, the
 * re-match after a change-only gazetteer import, and steward decisions.
 */
import type pg from 'pg';
import type { MatchInput } from '../../matching/address/index.js';
import type { SourceRecord } from '../../schemas/source-record.js';
import { currentAddress } from '../linkage/features.js';
import type { AddressMatcher } from './matcher.js';
import * as sql from './sql.js';

/**
 * The address a record is matched on: the one the person lives at, chosen as
 * linkage chooses it, so that the UPRN found is the one the golden record,
 * linkage and the occupants of a property take for the record's home.
 */
export function matchInputOf(record: SourceRecord): MatchInput | null {
  const address = currentAddress(record);
  if (!address) return null;
  return { text: address.lines.join(', '), postcode: address.postcode, uprn: address.uprn, crossReference: address.crossReference };
}

export interface MatchCounts {
  matched: number;
  review: number;
  unmatched: number;
  noAddress: number;
}

export async function matchSourceRecords(pool: pg.Pool, matcher: AddressMatcher, ids: number[]): Promise<MatchCounts> {
  const counts: MatchCounts = { matched: 0, review: 0, unmatched: 0, noAddress: 0 };
  const { rows } = await pool.query<{ id: number; record: SourceRecord }>(sql.currentRecordAddress, [ids]);
  for (const { id, record } of rows) {
    const input = matchInputOf(record);
    if (!input) {
      counts.noAddress++;
      continue;
    }
    const result = await matcher.match(input);
    counts[result.status]++;
    const explanation = { ...result.explanation, candidates: result.candidates };
    await pool.query(sql.saveMatch, [id, result.inputKey, result.uprn, result.status, result.score, result.explanation.evidence, explanation, result.decidedBy]);
    if (result.status === 'review') {
      await pool.query(sql.openReview, [result.inputKey, input.text, input.postcode ?? null, { score: result.score, explanation: result.explanation, candidates: result.candidates }]);
    }
  }
  return counts;
}

/**
 * After a gazetteer import: records matched to a touched UPRN (by the matcher or a steward), and those not yet matched,
 * are matched again. Only the imports pending when it starts are marked done: an import committed while it runs
 * keeps its UPRNs for the re-match after it.
 */
export async function rematchAfterGazetteerChange(pool: pg.Pool, matcher: AddressMatcher): Promise<MatchCounts & { records: number }> {
  const imports = (await pool.query<{ id: string }>(sql.pendingImports)).rows.map((r) => r.id);
  const ids = (await pool.query<{ id: number }>(sql.toRematch, [imports])).rows.map((r) => r.id);
  const counts = await matchSourceRecords(pool, matcher, ids);
  await pool.query(sql.markRematched, [imports]);
  return { ...counts, records: ids.length };
}

export class ReviewError extends Error {
  constructor(readonly code: 'not-found' | 'conflict' | 'bad-request' | 'decision-contradicts-input', message: string) {
    super(message);
  }
}

/** A source record whose address is a review item's input. */
export interface ReviewRecord {
  reviewId: number;
  system: string;
  sourceRef: string;
  /** The UPRN it is matched to (before the decision, when read for one). */
  uprn: number | null;
  /** The citizen it is linked to; null until linkage has placed it. */
  citizenRef: string | null;
}

export async function reviewRecords(db: pg.Pool | pg.PoolClient, reviewIds: readonly number[]): Promise<ReviewRecord[]> {
  if (reviewIds.length === 0) return [];
  return (await db.query<ReviewRecord>(sql.reviewRecords, [reviewIds])).rows;
}

/** Of those, the records a decision on the items would match: not those matched by a UPRN or cross reference their source gave. */
async function waitingRecords(db: pg.PoolClient, reviewIds: readonly number[]): Promise<ReviewRecord[]> {
  return (await db.query<ReviewRecord>(sql.waitingRecords, [reviewIds])).rows;
}

export interface AddressDecided {
  id: number;
  /** The UPRN chosen, null for "no match". */
  uprn: number | null;
  /** For a revised decision, the UPRN the decision it replaces had chosen (null for "no match"); absent for a first decision. */
  revisedFrom?: number | null;
  /** The decision was made although the property chosen contradicts the input's street and postcode. */
  confirmed?: true;
  /** The records the decision re-matched, as they were before it. */
  records: ReviewRecord[];
}

/** Runs in the decision's transaction once it is made, so that what it writes (the audit entries) commits or rolls back with it. */
export type OnAddressDecided = (db: pg.PoolClient, decided: AddressDecided) => Promise<unknown>;

export interface ReviewDecision {
  /** The UPRN chosen, or null for "no match". */
  uprn: number | null;
  /** Replace the decision of an item already decided (an open item is decided without it). */
  revise?: boolean;
  /** Decide a property that contradicts the input's street and postcode all the same. */
  confirm?: boolean;
}

/**
 * A steward's choice for a review item: a UPRN, or null for "no match". Remembered for the same input, and applied
 * to the records waiting on it (a revision: to those the decision it replaces had matched). A property on another
 * street under a postcode of another sector than the input's is refused unless confirmed: most likely a slip.
 */
export async function decideReview(
  pool: pg.Pool, matcher: AddressMatcher, id: number, decision: ReviewDecision, clientId: number, onDecided: OnAddressDecided,
): Promise<{ updatedRecords: number }> {
  const { uprn } = decision;
  if (uprn !== null) {
    const { source } = await matcher.current();
    if (source.byUprn(uprn).length === 0) throw new ReviewError('bad-request', `UPRN ${uprn} is not in the gazetteer`);
  }
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const item = (await client.query<{ id: number; inputKey: string; text: string; postcode: string | null; status: string; decisionUprn: string | null }>(
      sql.reviewItem, [id])).rows[0];
    if (!item) throw new ReviewError('not-found', `no review item ${id}`);
    if (decision.revise && item.status === 'open') throw new ReviewError('conflict', `review item ${id} is not decided yet: decide it with POST`);
    if (!decision.revise && item.status !== 'open') throw new ReviewError('conflict', `review item ${id} is already decided: revise its decision with PUT`);
    const decided = await matcher.decided({ text: item.text, postcode: item.postcode }, uprn);
    if (!decided) throw new ReviewError('bad-request', `UPRN ${uprn} is not in the gazetteer`);
    const { result, contradicts } = decided;
    if (contradicts && !decision.confirm) {
      throw new ReviewError('decision-contradicts-input',
        `UPRN ${uprn} is on another street, under a postcode of another sector, than the input of review item ${id}: send confirm: true to decide it all the same`);
    }
    const records = await waitingRecords(client, [id]);
    await client.query(sql.saveDecision, [item.inputKey, uprn, clientId]);
    await client.query(sql.closeReview, [id, clientId, uprn]);
    const updated = await client.query<{ records: number }>(sql.applyDecision, [item.inputKey, uprn, { ...result.explanation, candidates: result.candidates }]);
    await onDecided(client, {
      id, uprn, records,
      ...(decision.revise ? { revisedFrom: item.decisionUprn === null ? null : Number(item.decisionUprn) } : {}),
      ...(contradicts ? { confirmed: true as const } : {}),
    });
    await client.query('COMMIT');
    return { updatedRecords: updated.rows[0]!.records };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
