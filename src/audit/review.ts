/**
 * The DPO's review of break-glass use: each entry flagged review_required is
 * reviewed once, as justified or not, with a note. The review is recorded in
 * audit_review (which entries are still waiting) and as an audit entry of its
 * own, chained like every other, in one transaction.
 */
import type pg from 'pg';

export const REVIEW_OUTCOMES = ['justified', 'not-justified'] as const;
export type ReviewOutcome = (typeof REVIEW_OUTCOMES)[number];

export interface Review {
  seq: number;
  reviewedAt: string;
  clientId: number;
  outcome: ReviewOutcome;
  note: string;
}

export class ReviewError extends Error {
  constructor(readonly code: 'not-found' | 'bad-request' | 'conflict', message: string) {
    super(message);
  }
}

interface Row { seq: string; reviewed_at: Date; client_id: string; outcome: ReviewOutcome; note: string }

const reviewOf = (r: Row): Review => ({ seq: Number(r.seq), reviewedAt: r.reviewed_at.toISOString(), clientId: Number(r.client_id), outcome: r.outcome, note: r.note });

/**
 * Records the review of the entries `seqs` in the caller's transaction; returns the reviews and the citizens the
 * entries were about (for the review's own audit entries). Every entry must exist, be flagged for review, and not be
 * reviewed yet: otherwise nothing is recorded.
 */
export async function reviewEntries(db: pg.PoolClient, seqs: readonly number[], by: { clientId: number; outcome: ReviewOutcome; note: string }):
Promise<{ reviews: Review[]; citizenRefs: string[] }> {
  const { rows: found } = await db.query<{ seq: string; review_required: boolean; citizen_ref: string | null; reviewed: boolean }>(
    `SELECT l.seq, l.review_required, l.citizen_ref, EXISTS (SELECT 1 FROM audit_review r WHERE r.seq = l.seq) AS reviewed
       FROM audit_log l WHERE l.seq = ANY($1::bigint[]) ORDER BY l.seq`, [seqs]);
  const bySeq = new Map(found.map((r) => [Number(r.seq), r]));
  const missing = seqs.filter((s) => !bySeq.has(s));
  if (missing.length > 0) throw new ReviewError('not-found', `seqs: no audit entry ${missing.join(', ')}`);
  const unflagged = seqs.filter((s) => !bySeq.get(s)!.review_required);
  if (unflagged.length > 0) throw new ReviewError('bad-request', `seqs: entry ${unflagged.join(', ')} is not flagged for review (only break-glass use is)`);
  const done = seqs.filter((s) => bySeq.get(s)!.reviewed);
  if (done.length > 0) throw new ReviewError('conflict', `seqs: entry ${done.join(', ')} is reviewed already; a review is final`);
  // ON CONFLICT: a review made at the same moment by another DPO wins, and this one is refused rather than doubled.
  const { rows } = await db.query<Row>(
    `INSERT INTO audit_review (seq, client_id, outcome, note) SELECT s, $2, $3, $4 FROM unnest($1::bigint[]) AS s
     ON CONFLICT (seq) DO NOTHING RETURNING seq, reviewed_at, client_id, outcome, note`, [seqs, by.clientId, by.outcome, by.note]);
  if (rows.length < seqs.length) throw new ReviewError('conflict', 'seqs: another review of these entries was recorded at the same time');
  const citizenRefs = [...new Set(found.flatMap((r) => (r.citizen_ref === null ? [] : [r.citizen_ref])))].sort();
  return { reviews: rows.map(reviewOf).sort((a, b) => a.seq - b.seq), citizenRefs };
}

/** The reviews of those of the entries that have one. */
export async function reviewsOf(db: pg.Pool | pg.PoolClient, seqs: readonly number[]): Promise<Map<number, Review>> {
  if (seqs.length === 0) return new Map();
  const { rows } = await db.query<Row>('SELECT seq, reviewed_at, client_id, outcome, note FROM audit_review WHERE seq = ANY($1::bigint[])', [seqs]);
  return new Map(rows.map((r) => [Number(r.seq), reviewOf(r)]));
}
