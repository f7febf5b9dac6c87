/**
 * Stewards' decisions: link a record to a citizen, unlink it, or say two are
 * not the same person. Each is stored in link_decision (applied before the
 * model on every later run, whatever model is active) and carried out at
 * once, with history. A later decision on the same question revokes the
 * earlier one.
 */
import type pg from 'pg';
import {
  createCitizen, currentLink, linkRecord, memberCount, mergeCitizens, reactivate, resolveRef, settleEmptied, splitRecord, survivors, unlinkRecord, type Actor,
} from './accounts.js';
import { inTransaction, LinkageError, type LinkageContext } from './context.js';
import { indexSourceRecord } from './person-index.js';

/** Steward operations need the tables and rules to index records, not a model. */
export type StewardContext = Pick<LinkageContext, 'pool' | 'tables' | 'rules'>;

async function citizenOrFail(db: pg.PoolClient, ref: string): Promise<{ id: number; ref: string }> {
  const resolved = await resolveRef(db, ref);
  if (!resolved) throw new LinkageError('not-found', `no citizen ${ref}`);
  return resolved;
}

async function indexedOrFail(db: pg.PoolClient, ctx: StewardContext, system: string, sourceRef: string): Promise<void> {
  if (!(await indexSourceRecord(db, ctx, system, sourceRef))) throw new LinkageError('not-found', `no current source record ${system}/${sourceRef}`);
}

/** Revokes the record's earlier decisions that a steward's link to the citizen contradicts. */
async function revokeBetween(db: pg.PoolClient, system: string, sourceRef: string, citizenId: number): Promise<void> {
  await db.query(
    `UPDATE link_decision d SET revoked_at = now()
      WHERE d.revoked_at IS NULL AND (
        (d.system = $1 AND d.source_ref = $2 AND (d.kind = 'link'
          OR (d.citizen_id IS NOT NULL AND (SELECT coalesce(merged_into, id) FROM citizen WHERE id = d.citizen_id) = $3)
          OR EXISTS (SELECT 1 FROM citizen_link l WHERE l.system = d.other_system AND l.source_ref = d.other_source_ref AND l.ended_at IS NULL AND l.citizen_id = $3)))
        OR (d.other_system = $1 AND d.other_source_ref = $2
          AND EXISTS (SELECT 1 FROM citizen_link l WHERE l.system = d.system AND l.source_ref = d.source_ref AND l.ended_at IS NULL AND l.citizen_id = $3)))`,
    [system, sourceRef, citizenId],
  );
}

async function insertDecision(
  db: pg.PoolClient, kind: 'link' | 'unlink' | 'distinct', system: string, sourceRef: string, citizenId: number | null,
  other: { system: string; sourceRef: string } | null, actor: Actor,
): Promise<void> {
  await db.query(
    `INSERT INTO link_decision (kind, system, source_ref, citizen_id, other_system, other_source_ref, decided_by, reason)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [kind, system, sourceRef, citizenId, other?.system ?? null, other?.sourceRef ?? null, actor.clientId, actor.reason],
  );
}

/**
 * A steward placed the record: the model's other open questions about where it belongs are answered (a decision on
 * one later would move it away from the steward's placement without a word). `except`: the item being decided.
 */
async function withdrawPlaced(db: pg.PoolClient, system: string, sourceRef: string, target: number, except: number | null): Promise<void> {
  // An item about the account the record was placed in is answered by both records being in one account (settleReviews says so).
  await db.query(
    `UPDATE person_review r SET status = 'withdrawn', withdrawn_at = now(), withdrawn_why = 'a steward has placed the record since'
      WHERE r.status = 'open' AND r.system = $1 AND r.source_ref = $2 AND r.id IS DISTINCT FROM $4::bigint
        AND (SELECT coalesce(c.merged_into, c.id) FROM citizen c WHERE c.id = r.citizen_id) <> $3`,
    [system, sourceRef, target, except],
  );
}

async function linkTo(db: pg.PoolClient, ctx: StewardContext, target: number, system: string, sourceRef: string, actor: Actor, review: number | null = null): Promise<void> {
  await withdrawPlaced(db, system, sourceRef, target, review);
  await indexedOrFail(db, ctx, system, sourceRef);
  await revokeBetween(db, system, sourceRef, target);
  await insertDecision(db, 'link', system, sourceRef, target, null, actor);
  const current = await currentLink(db, system, sourceRef);
  if (current) await unlinkRecord(db, system, sourceRef, actor, current.citizenId === target ? 'confirmed by a steward' : 'moved by a steward');
  await reactivate(db, target);
  await linkRecord(db, target, system, sourceRef, 'steward', null, actor);
  // An account left with no records is merged into the target, so its reference still leads somewhere, unless its register records could be another person's.
  if (current && current.citizenId !== target && (await memberCount(db, current.citizenId)) === 0) {
    await settleEmptied(db, current.citizenId, target, actor, () => mergeCitizens(db, current.citizenId, target, actor, target));
  }
}

export interface StewardResult {
  /** The account the record is in afterwards. */
  citizenRef: string;
  /** The account it was in before, if any. */
  from: string | null;
}

/** Runs in the decision's transaction once it is made, so that what it writes (the audit entry) commits or rolls back with it. */
export type OnDecided<R extends StewardResult = StewardResult> = (db: pg.PoolClient, result: R) => Promise<unknown>;

async function decided<R extends StewardResult>(db: pg.PoolClient, result: R, onDecided: OnDecided<R> | undefined): Promise<R> {
  if (onDecided) await onDecided(db, result);
  return result;
}

async function refOf(db: pg.PoolClient, id: number): Promise<string> {
  return (await db.query<{ ref: string }>('SELECT ref FROM citizen WHERE id = $1', [id])).rows[0]!.ref;
}

async function accountOf(db: pg.PoolClient, system: string, sourceRef: string): Promise<string | null> {
  const current = await currentLink(db, system, sourceRef);
  return current ? refOf(db, current.citizenId) : null;
}

/** The record is in the citizen's account already: nothing moved (no history, no event). */
export interface LinkResult extends StewardResult {
  unchanged?: true;
}

/**
 * Links a record to a citizen (the survivor, when the reference was merged); overrides the model from then on. A
 * record in that account already stays as it is: unlinking and linking it again would write history and announce a
 * change where there is none. The steward's word is still kept (once), so that no later run moves it.
 */
export function manualLink(ctx: StewardContext, ref: string, system: string, sourceRef: string, actor: Actor, onDecided?: OnDecided<LinkResult>): Promise<LinkResult> {
  return inTransaction(ctx.pool, async (db) => {
    const target = await citizenOrFail(db, ref);
    const current = await currentLink(db, system, sourceRef);
    if (current?.citizenId === target.id) {
      const kept = await db.query(
        `SELECT 1 FROM link_decision d WHERE d.revoked_at IS NULL AND d.kind = 'link' AND d.system = $1 AND d.source_ref = $2
            AND (SELECT coalesce(c.merged_into, c.id) FROM citizen c WHERE c.id = d.citizen_id) = $3`, [system, sourceRef, target.id]);
      await withdrawPlaced(db, system, sourceRef, target.id, null);
      if (kept.rowCount === 0) {
        await revokeBetween(db, system, sourceRef, target.id);
        await insertDecision(db, 'link', system, sourceRef, target.id, null, actor);
      }
      return decided(db, { citizenRef: target.ref, from: target.ref, unchanged: true as const }, onDecided);
    }
    const from = current ? await refOf(db, current.citizenId) : null;
    await linkTo(db, ctx, target.id, system, sourceRef, actor);
    return decided(db, { citizenRef: target.ref, from }, onDecided);
  });
}

/**
 * Takes a record out of a citizen; the record starts an account of its own,
 * and no later run puts it back with this citizen.
 */
export function manualUnlink(ctx: StewardContext, ref: string, system: string, sourceRef: string, actor: Actor, onDecided?: OnDecided): Promise<StewardResult> {
  return inTransaction(ctx.pool, async (db) => {
    const citizen = await citizenOrFail(db, ref);
    const current = await currentLink(db, system, sourceRef);
    if (current?.citizenId !== citizen.id) throw new LinkageError('not-found', `source record ${system}/${sourceRef} is not linked to citizen ${citizen.ref}`);
    if ((await memberCount(db, citizen.id)) === 1) throw new LinkageError('conflict', `source record ${system}/${sourceRef} is the only record of citizen ${citizen.ref}`);
    await db.query("UPDATE link_decision SET revoked_at = now() WHERE revoked_at IS NULL AND kind = 'link' AND system = $1 AND source_ref = $2", [system, sourceRef]);
    await insertDecision(db, 'unlink', system, sourceRef, citizen.id, null, actor);
    const own = await splitRecord(db, system, sourceRef, 'model', actor, true);
    return decided(db, { citizenRef: await refOf(db, own), from: citizen.ref }, onDecided);
  });
}

/**
 * "Not the same person": the record and a citizen (and, when given, the
 * citizen's record the steward compared it with). When they share an
 * account now, the record leaves it. When the record is that account's only
 * record, the account is the record's own person: nothing moves (moving it
 * would leave the reference, and the register records kept under it, behind
 * in an empty account). Asked of the account alone, that is a conflict, as
 * for an unlink; with the other record named (a review decision), the
 * decision is kept between the two records, and the record stays.
 */
export async function markDistinctIn(
  db: pg.PoolClient, ctx: StewardContext, system: string, sourceRef: string, citizenId: number,
  other: { system: string; sourceRef: string } | null, actor: Actor,
): Promise<number> {
  await indexedOrFail(db, ctx, system, sourceRef);
  const [survivor] = await survivors(db, [citizenId]);
  const home = await currentLink(db, system, sourceRef);
  if (home?.citizenId === survivor && (await memberCount(db, survivor!)) === 1) {
    if (!other) throw new LinkageError('conflict', `source record ${system}/${sourceRef} is the only record of citizen ${await refOf(db, survivor!)}`);
    await insertDecision(db, 'distinct', system, sourceRef, null, other, actor);
    return survivor!;
  }
  // A link to an account since merged into this one is a link to it too: left standing, the next run would move the record back.
  await db.query(
    `UPDATE link_decision d SET revoked_at = now() WHERE revoked_at IS NULL AND kind = 'link' AND system = $1 AND source_ref = $2
        AND (SELECT coalesce(c.merged_into, c.id) FROM citizen c WHERE c.id = d.citizen_id) = $3`,
    [system, sourceRef, survivor],
  );
  await insertDecision(db, 'distinct', system, sourceRef, citizenId, other, actor);
  if (home?.citizenId === survivor) return splitRecord(db, system, sourceRef, 'model', actor, true);
  if (home) return home.citizenId;
  const own = await createCitizen(db, actor);
  await linkRecord(db, own, system, sourceRef, 'model', null, actor);
  return own;
}

export function markDistinct(ctx: StewardContext, ref: string, system: string, sourceRef: string, actor: Actor): Promise<StewardResult> {
  return inTransaction(ctx.pool, async (db) => {
    const citizen = await citizenOrFail(db, ref);
    const from = await accountOf(db, system, sourceRef);
    return { citizenRef: await refOf(db, await markDistinctIn(db, ctx, system, sourceRef, citizen.id, null, actor)), from };
  });
}

export type ReviewDecision = 'link' | 'distinct';

export interface ReviewResult extends StewardResult {
  /** The review item's record. */
  system: string;
  sourceRef: string;
  /** The candidate citizen the record was compared with (its survivor). */
  candidate: string;
}

/**
 * A review item, and whether either record has another current version than the item compared (one not yet linked
 * counts: the decision would be applied to content the steward has not seen). Items from before migration 060 know
 * no versions and are taken as they are.
 */
const REVIEW_FOR_DECISION = `
  SELECT r.system, r.source_ref, r.citizen_id, r.candidate_system, r.candidate_ref, r.status, r.withdrawn_why,
         r.record_version IS NOT NULL AND r.record_version IS DISTINCT FROM
           (SELECT s.id FROM source_record s WHERE s.current AND s.system = r.system AND s.source_ref = r.source_ref) AS record_changed,
         r.candidate_version IS NOT NULL AND r.candidate_version IS DISTINCT FROM
           (SELECT s.id FROM source_record s WHERE s.current AND s.system = r.candidate_system AND s.source_ref = r.candidate_ref) AS candidate_changed
    FROM person_review r WHERE r.id = $1 FOR UPDATE OF r`;

/** A steward's answer to a review item: link the record to the candidate citizen, or keep them apart for good. */
export async function decidePersonReview(ctx: StewardContext, id: number, decision: ReviewDecision, actor: Actor, onDecided?: OnDecided<ReviewResult>): Promise<ReviewResult> {
  const outcome = await inTransaction(ctx.pool, async (db): Promise<ReviewResult | { stale: string }> => {
    const review = (await db.query<{
      system: string; source_ref: string; citizen_id: string; candidate_system: string; candidate_ref: string; status: string; withdrawn_why: string | null;
      record_changed: boolean; candidate_changed: boolean;
    }>(REVIEW_FOR_DECISION, [id])).rows[0];
    if (!review) throw new LinkageError('not-found', `no person review ${id}`);
    if (review.status !== 'open') {
      throw new LinkageError('conflict', `person review ${id} is already ${review.status}${review.withdrawn_why ? `: ${review.withdrawn_why}` : ''}`);
    }
    // The steward was shown the two records as they were (and their weights): a decision is about those versions.
    const changed = review.record_changed ? 'the record has changed since' : review.candidate_changed ? 'the candidate record has changed since' : null;
    if (changed) {
      await db.query("UPDATE person_review SET status = 'withdrawn', withdrawn_at = now(), withdrawn_why = $2 WHERE id = $1", [id, changed]);
      return { stale: changed };
    }
    const [citizen] = await survivors(db, [Number(review.citizen_id)]);
    // "Link" says the record is the person of the candidate record, asked of the account that record was in. If the
    // candidate record has left that account since (a split, a steward's move), the question no longer stands: withdrawn.
    const candidateNow = await currentLink(db, review.candidate_system, review.candidate_ref);
    const [candidateAccount] = candidateNow ? await survivors(db, [candidateNow.citizenId]) : [];
    if (decision === 'link' && candidateAccount !== citizen) {
      const why = 'the candidate record has left the account since';
      await db.query("UPDATE person_review SET status = 'withdrawn', withdrawn_at = now(), withdrawn_why = $2 WHERE id = $1", [id, why]);
      return { stale: why };
    }
    const from = await accountOf(db, review.system, review.source_ref);
    let result: number;
    if (decision === 'link') {
      await linkTo(db, ctx, citizen!, review.system, review.source_ref, actor, id);
      result = citizen!;
    } else {
      result = await markDistinctIn(db, ctx, review.system, review.source_ref, Number(review.citizen_id),
        { system: review.candidate_system, sourceRef: review.candidate_ref }, actor);
    }
    await db.query(
      "UPDATE person_review SET status = 'decided', decision = $2, decided_by = $3, decided_at = now() WHERE id = $1",
      [id, decision, actor.clientId],
    );
    const outcome = { citizenRef: await refOf(db, result), from, system: review.system, sourceRef: review.source_ref, candidate: await refOf(db, citizen!) };
    return decided(db, outcome, onDecided);
  });
  // Refused after the withdrawal committed, so that the item leaves the queue.
  if ('stale' in outcome) throw new LinkageError('conflict', `person review ${id} is withdrawn: ${outcome.stale}`);
  return outcome;
}
