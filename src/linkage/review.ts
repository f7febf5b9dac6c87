/** The stewards' queue of uncertain person matches: both records side by side, per-field weights and the model's decision. */
import type pg from 'pg';
import type { FieldWeight, PersonRecord } from '../../matching/person/index.js';

export interface ReviewSide {
  system: string;
  sourceRef: string;
  /** The account the record is in now. */
  citizenRef: string | null;
  /** What linkage compared: names, date of birth, identifiers, address and contacts. */
  person: PersonRecord | null;
}

export interface PersonReviewItem {
  id: number;
  record: ReviewSide;
  candidate: ReviewSide;
  /** The candidate citizen (its survivor, when it has been merged since). */
  candidateCitizenRef: string;
  weight: number;
  fields: FieldWeight[];
  modelDecision: 'link' | 'review' | 'distinct';
  reason: string;
  modelVersion: number | null;
  createdAt: string;
}

const QUEUE = `
  SELECT r.id, r.system, r.source_ref, r.candidate_system, r.candidate_ref, r.weight, r.fields, r.model_decision, r.reason,
         r.model_version, r.created_at, coalesce(s.ref, c.ref) AS candidate_citizen,
         rc.ref AS record_citizen, rp.features AS record_features, cc.ref AS candidate_record_citizen, cp.features AS candidate_features
    FROM person_review r
    JOIN citizen c ON c.id = r.citizen_id
    LEFT JOIN citizen s ON s.id = c.merged_into
    LEFT JOIN citizen_link rl ON rl.system = r.system AND rl.source_ref = r.source_ref AND rl.ended_at IS NULL
    LEFT JOIN citizen rc ON rc.id = rl.citizen_id
    LEFT JOIN person_record rp ON rp.system = r.system AND rp.source_ref = r.source_ref
    LEFT JOIN citizen_link cl ON cl.system = r.candidate_system AND cl.source_ref = r.candidate_ref AND cl.ended_at IS NULL
    LEFT JOIN citizen cc ON cc.id = cl.citizen_id
    LEFT JOIN person_record cp ON cp.system = r.candidate_system AND cp.source_ref = r.candidate_ref
   WHERE r.status = 'open' AND r.id > $1
   ORDER BY r.id
   LIMIT $2`;

interface Row {
  id: string; system: string; source_ref: string; candidate_system: string; candidate_ref: string; weight: number; fields: FieldWeight[];
  model_decision: PersonReviewItem['modelDecision']; reason: string; model_version: number | null; created_at: Date; candidate_citizen: string;
  record_citizen: string | null; record_features: PersonRecord | null; candidate_record_citizen: string | null; candidate_features: PersonRecord | null;
}

/** Open review items, oldest first, paged by id. */
export async function personReviewQueue(db: pg.Pool | pg.PoolClient, after: number, limit: number): Promise<PersonReviewItem[]> {
  const { rows } = await db.query<Row>(QUEUE, [after, limit]);
  return rows.map((r) => ({
    id: Number(r.id),
    record: { system: r.system, sourceRef: r.source_ref, citizenRef: r.record_citizen, person: r.record_features },
    candidate: { system: r.candidate_system, sourceRef: r.candidate_ref, citizenRef: r.candidate_record_citizen, person: r.candidate_features },
    candidateCitizenRef: r.candidate_citizen,
    weight: r.weight,
    fields: r.fields,
    modelDecision: r.model_decision,
    reason: r.reason,
    modelVersion: r.model_version,
    createdAt: new Date(r.created_at).toISOString(),
  }));
}

/**
 * Withdraws, with the reason, the open review items whose record and candidate record this transaction put in one
 * account (a merge, the model linking one of them, a steward's link); returns how many. Found from the accounts its
 * outbox rows name (every change to an account's records writes one: src/publish/outbox.ts), by index only
 * (migration 043).
 */
export async function settleReviews(db: pg.PoolClient): Promise<number> {
  return (await db.query<{ n: number }>({ name: 'linkage-settle-reviews', text: 'SELECT linkage_settle_reviews() AS n' })).rows[0]!.n;
}

/** A side of a review item in a subject access export: the record when it is the person's, else null (another person's, not shown). */
export type OwnSide = { system: string; sourceRef: string } | null;

/**
 * A review item (open, decided or withdrawn) as its person is shown it: the
 * model's weighing of one of their records, or of a record against their
 * account. Of the other side only that there was one: it may be someone
 * else's record (Art. 15(4)).
 */
export interface PersonReviewOfSubject {
  id: number;
  status: 'open' | 'decided' | 'withdrawn';
  createdAt: string;
  /** The record weighed for linking. */
  record: OwnSide;
  /** The closest record of the account it might join. */
  candidate: OwnSide;
  /** That account, when it is the person's (one of their references); else null. */
  candidateCitizenRef: string | null;
  weight: number;
  fields: FieldWeight[];
  modelDecision: PersonReviewItem['modelDecision'];
  reason: string;
  modelVersion: number | null;
  decision: 'link' | 'distinct' | null;
  /** The steward's client. */
  decidedBy: number | null;
  decidedAt: string | null;
  withdrawnAt: string | null;
  withdrawnWhy: string | null;
}

/**
 * Review items about the person's account (any of `refs`) or weighing one of
 * `records`. By a scan of person_review: its indexes serve the open queue,
 * and a subject access export is rare.
 */
const REVIEWS_OF = `
  WITH own AS (SELECT system, source_ref FROM unnest($2::text[], $3::text[]) AS k(system, source_ref)),
       account AS (SELECT id, ref FROM citizen WHERE ref = ANY($1::text[]))
  SELECT r.id, r.status, r.created_at, r.system, r.source_ref, r.candidate_system, r.candidate_ref, a.ref AS candidate_citizen,
         EXISTS (SELECT 1 FROM own o WHERE o.system = r.system AND o.source_ref = r.source_ref) AS own_record,
         EXISTS (SELECT 1 FROM own o WHERE o.system = r.candidate_system AND o.source_ref = r.candidate_ref) AS own_candidate,
         r.weight, r.fields, r.model_decision, r.reason, r.model_version, r.decision, r.decided_by, r.decided_at, r.withdrawn_at, r.withdrawn_why
    FROM person_review r
    LEFT JOIN account a ON a.id = r.citizen_id
   WHERE a.id IS NOT NULL
      OR (r.system, r.source_ref) IN (SELECT system, source_ref FROM own)
      OR (r.candidate_system, r.candidate_ref) IN (SELECT system, source_ref FROM own)
   ORDER BY r.id`;

const iso = (d: Date | null): string | null => (d === null ? null : new Date(d).toISOString());

export async function personReviewsOf(
  db: pg.Pool | pg.PoolClient, refs: readonly string[], records: readonly { system: string; sourceRef: string }[],
): Promise<PersonReviewOfSubject[]> {
  const { rows } = await db.query<{
    id: string; status: PersonReviewOfSubject['status']; created_at: Date; system: string; source_ref: string; candidate_system: string; candidate_ref: string;
    candidate_citizen: string | null; own_record: boolean; own_candidate: boolean; weight: number; fields: FieldWeight[];
    model_decision: PersonReviewItem['modelDecision']; reason: string; model_version: number | null; decision: 'link' | 'distinct' | null;
    decided_by: string | null; decided_at: Date | null; withdrawn_at: Date | null; withdrawn_why: string | null;
  }>(REVIEWS_OF, [refs, records.map((r) => r.system), records.map((r) => r.sourceRef)]);
  return rows.map((r) => ({
    id: Number(r.id), status: r.status, createdAt: iso(r.created_at)!,
    record: r.own_record ? { system: r.system, sourceRef: r.source_ref } : null,
    candidate: r.own_candidate ? { system: r.candidate_system, sourceRef: r.candidate_ref } : null,
    candidateCitizenRef: r.candidate_citizen, weight: r.weight, fields: r.fields, modelDecision: r.model_decision, reason: r.reason,
    modelVersion: r.model_version, decision: r.decision, decidedBy: r.decided_by === null ? null : Number(r.decided_by),
    decidedAt: iso(r.decided_at), withdrawnAt: iso(r.withdrawn_at), withdrawnWhy: r.withdrawn_why,
  }));
}
