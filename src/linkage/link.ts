/**
 * Incremental linking of one source record, as it arrives or changes:
 * steward decisions first; then candidates through the indexed blocking keys,
 * each candidate account scored by its closest record; the record joins the
 * best account when the evidence is clear, starts a new one when nothing is
 * close, and goes to review in between. A record that bridges two accounts
 * merges them only when no strong evidence conflicts. Linking runs under one
 * advisory lock (see inTransaction), so concurrent workers never race to
 * create the same person.
 */
import type pg from 'pg';
import { dobLevel, explainPair, householdDoubt, prepare, type Doubt, type PairExplanation, type PersonRecord, type PreparedPerson } from '../../matching/person/index.js';
import {
  createCitizen, linkRecord, memberCount, mergeCitizens, MODEL, splitRecord, survivors, unlinkRecord, type LinkedBy,
} from './accounts.js';
import { recordLinked } from '../publish/outbox.js';
import { inTransaction, type LinkageContext } from './context.js';
import { personFeatures, recordKey } from './features.js';
import { currentOf, indexRecord, isChanged, MEMBERS_SQL, RECORD_SQL, type RecordRow } from './person-index.js';

export type LinkAction = 'created' | 'joined' | 'kept' | 'moved' | 'steward' | 'unchanged' | 'missing';

export interface LinkOutcome {
  action: LinkAction;
  citizenId: number | null;
  /** Accounts merged into the record's account by this run. */
  merges: number;
  /** Review items opened or refreshed. */
  reviews: number;
}

interface Member {
  citizenId: number;
  key: string;
  system: string;
  sourceRef: string;
  prepared: PreparedPerson;
}

interface Scored {
  citizenId: number;
  best: Member;
  explanation: PairExplanation;
  /** Why the pair must not be linked by the model (different identifiers, or a household member), or null. */
  conflict: Doubt | null;
}

/** Two different valid NHS numbers or NI numbers: each is issued to one person once, so the records are different people. */
export const identifiersConflict = (a: PreparedPerson, b: PreparedPerson): boolean =>
  (a.nhsNumber !== null && b.nhsNumber !== null && a.nhsNumber !== b.nhsNumber) || (a.nino !== null && b.nino !== null && a.nino !== b.nino);

/**
 * Evidence strong enough to keep two accounts apart when a record bridges
 * them: different valid NHS numbers, or dates of birth that differ by more
 * than a clerical slip (unless the same valid NHS number says otherwise).
 * Joining one account is the model's decision; merging two needs this too.
 */
export function strongConflict(a: PreparedPerson, b: PreparedPerson): boolean {
  if (a.nhsNumber !== null && b.nhsNumber !== null) return a.nhsNumber !== b.nhsNumber;
  return a.dob !== null && b.dob !== null && dobLevel(a.dob, b.dob) === 'different';
}

interface Decisions {
  stewardTarget: number | null;
  barredCitizens: Set<number>;
  barredRecords: Set<string>;
}

/**
 * The steward decisions that bear on a record: its own (link, unlink,
 * distinct), those naming it as the other record, and those keeping other
 * records out of the account it is in now.
 */
async function decisionsFor(db: pg.PoolClient, system: string, sourceRef: string, home: number | null): Promise<Decisions> {
  const { rows } = await db.query<{ kind: string; citizen_id: string | null; system: string; source_ref: string; other_system: string | null; other_source_ref: string | null }>(
    `SELECT d.kind, d.citizen_id, d.system, d.source_ref, d.other_system, d.other_source_ref FROM link_decision d
      WHERE d.revoked_at IS NULL AND ((d.system = $1 AND d.source_ref = $2) OR (d.other_system = $1 AND d.other_source_ref = $2)
            OR (d.kind <> 'link' AND (d.citizen_id = $3 OR d.citizen_id IN (SELECT id FROM citizen WHERE merged_into = $3))))
      ORDER BY d.id`,
    [system, sourceRef, home],
  );
  let target: number | null = null;
  const citizens: number[] = [];
  const barredRecords = new Set<string>();
  for (const d of rows) {
    const mine = d.system === system && d.source_ref === sourceRef;
    if (!mine) {
      barredRecords.add(recordKey(d.system, d.source_ref));
      continue;
    }
    if (d.kind === 'link' && d.citizen_id !== null) target = Number(d.citizen_id);
    if (d.kind !== 'link' && d.citizen_id !== null) citizens.push(Number(d.citizen_id));
    if (d.other_system !== null && d.other_source_ref !== null) barredRecords.add(recordKey(d.other_system, d.other_source_ref));
  }
  return {
    stewardTarget: target === null ? null : ((await survivors(db, [target]))[0] ?? null),
    barredCitizens: new Set(await survivors(db, citizens)),
    barredRecords,
  };
}

async function openReview(db: pg.PoolClient, ctx: LinkageContext, system: string, sourceRef: string, s: Scored, reason: string): Promise<void> {
  await db.query(
    `INSERT INTO person_review (system, source_ref, citizen_id, candidate_system, candidate_ref, weight, fields, model_decision, reason, model_version)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (system, source_ref, citizen_id) WHERE status = 'open' DO UPDATE
       SET candidate_system = EXCLUDED.candidate_system, candidate_ref = EXCLUDED.candidate_ref, weight = EXCLUDED.weight,
           fields = EXCLUDED.fields, model_decision = EXCLUDED.model_decision, reason = EXCLUDED.reason, model_version = EXCLUDED.model_version`,
    [system, sourceRef, s.citizenId, s.best.system, s.best.sourceRef, s.explanation.total, JSON.stringify(s.explanation.fields), s.explanation.decision, reason, ctx.modelVersion],
  );
}

/** Whether two accounts may be merged: no strong conflict between their records and no steward decision keeping them apart. */
async function mayMerge(db: pg.PoolClient, a: number, b: number, members: ReadonlyMap<number, Member[]>): Promise<boolean> {
  const left = members.get(a) ?? [];
  const right = members.get(b) ?? [];
  if (left.some((x) => right.some((y) => strongConflict(x.prepared, y.prepared)))) return false;
  const { rows } = await db.query<{ n: string }>(
    `WITH recs AS (SELECT system, source_ref, citizen_id FROM citizen_link WHERE citizen_id IN ($1, $2) AND ended_at IS NULL)
     SELECT count(*) AS n FROM link_decision d
       JOIN recs r ON r.system = d.system AND r.source_ref = d.source_ref
       LEFT JOIN citizen c ON c.id = d.citizen_id
       LEFT JOIN recs o ON o.system = d.other_system AND o.source_ref = d.other_source_ref
      WHERE d.revoked_at IS NULL AND d.kind IN ('unlink', 'distinct')
        AND (coalesce(c.merged_into, c.id) = CASE WHEN r.citizen_id = $1 THEN $2 ELSE $1 END::bigint
             OR o.citizen_id = CASE WHEN r.citizen_id = $1 THEN $2 ELSE $1 END::bigint)`,
    [a, b],
  );
  return Number(rows[0]!.n) === 0;
}

const sharesIdentifier = (a: PreparedPerson, b: PreparedPerson): boolean =>
  (a.nhsNumber !== null && a.nhsNumber === b.nhsNumber) || (a.nino !== null && a.nino === b.nino);

const NO_DECISIONS: Decisions = { stewardTarget: null, barredCitizens: new Set(), barredRecords: new Set() };

/** Links one source record (its current version) inside the caller's transaction, which holds the linkage lock. */
export async function linkInTransaction(db: pg.PoolClient, ctx: LinkageContext, system: string, sourceRef: string, options: { force?: boolean } = {}): Promise<LinkOutcome> {
  const row = (await db.query<RecordRow>(RECORD_SQL, [system, sourceRef])).rows[0];
  if (!row) return { action: 'missing', citizenId: null, merges: 0, reviews: 0 };
  const current = currentOf(row);
  if (current && !isChanged(row) && !options.force) return { action: 'unchanged', citizenId: current.citizenId, merges: 0, reviews: 0 };
  const features = personFeatures(row.record);
  const me = prepare(features, ctx.tables);
  const keys = await indexRecord(db, ctx, Number(row.id), features, me, system, sourceRef);
  return recordLinked(db, isChanged(row), await linkIndexed(db, ctx, row, me, keys));
}

/** The linking decision for a record already indexed as its current version. */
export async function linkIndexed(db: pg.PoolClient, ctx: LinkageContext, row: RecordRow, me: PreparedPerson, keys: string[]): Promise<LinkOutcome> {
  const outcome: LinkOutcome = { action: 'unchanged', citizenId: null, merges: 0, reviews: 0 };
  const { system, source_ref: sourceRef } = row;
  const current = currentOf(row);
  // A closed record stays where it is: its link is history the account keeps.
  if (current && row.closed) return { ...outcome, action: 'kept', citizenId: current.citizenId };

  const decisions = row.decided ? await decisionsFor(db, system, sourceRef, current?.citizenId ?? null) : NO_DECISIONS;
  if (decisions.stewardTarget !== null) {
    if (current?.citizenId !== decisions.stewardTarget) {
      if (current) await unlinkRecord(db, system, sourceRef, { clientId: null, reason: 'steward decision' }, 'steward decision');
      await linkRecord(db, decisions.stewardTarget, system, sourceRef, 'steward', null, { clientId: null, reason: 'steward decision' });
    }
    return { ...outcome, action: 'steward', citizenId: decisions.stewardTarget };
  }
  if (current?.linkedBy === 'steward') return { ...outcome, action: 'kept', citizenId: current.citizenId };

  const { rows } = await db.query<{ citizen_id: string; system: string; source_ref: string; features: PersonRecord }>(
    MEMBERS_SQL, [keys, system, sourceRef, ctx.maxBlockSize, current ? [current.citizenId] : []],
  );
  const members = new Map<number, Member[]>();
  for (const r of rows) {
    const m: Member = { citizenId: Number(r.citizen_id), key: recordKey(r.system, r.source_ref), system: r.system, sourceRef: r.source_ref, prepared: prepare(r.features, ctx.tables) };
    const list = members.get(m.citizenId);
    if (list) list.push(m);
    else members.set(m.citizenId, [m]);
  }
  const barred = (id: number) => decisions.barredCitizens.has(id) || (members.get(id) ?? []).some((m) => decisions.barredRecords.has(m.key));
  const scored: Scored[] = [];
  for (const [citizenId, list] of members) {
    let best: Scored | null = null;
    for (const m of list) {
      const explanation = explainPair(ctx.model, me, m.prepared);
      if (best === null || explanation.total > best.explanation.total) best = { citizenId, best: m, explanation, conflict: null };
    }
    if (best) {
      // Every record of the account counts, not only the closest: a record without a date of birth must not carry a son into his father's account.
      const conflict = list.some((m) => identifiersConflict(me, m.prepared)) ? { reason: 'the NHS or NI numbers differ', review: true }
        : list.some((m) => strongConflict(me, m.prepared)) ? { reason: 'another record of the account has a different date of birth', review: true }
        : householdDoubt(best.explanation);
      scored.push({ ...best, conflict });
    }
  }
  scored.sort((a, b) => b.explanation.total - a.explanation.total || a.citizenId - b.citizenId);
  const { link: linkAt, review: reviewAt } = ctx.model.thresholds;

  // The account the record is in now: stays when its other records still agree, else the record leaves it.
  let home: number | null = current?.citizenId ?? null;
  let alone = home !== null && !members.has(home);
  if (home !== null && !alone) {
    const own = scored.find((s) => s.citizenId === home);
    if (!own || own.conflict || barred(home) || own.explanation.total < reviewAt) {
      home = await splitRecord(db, system, sourceRef, 'model', { clientId: null, reason: 'record changed: no longer agrees with its account' });
      alone = true;
      outcome.action = 'moved';
    } else {
      outcome.action = 'kept';
    }
  }

  const others = scored.filter((s) => s.citizenId !== home && !barred(s.citizenId));
  const linkable = others.filter((s) => s.explanation.total >= linkAt && !s.conflict);
  for (const s of others) {
    if (s.explanation.total >= linkAt && s.conflict?.review) {
      await openReview(db, ctx, system, sourceRef, s, `match weight over the link threshold, but ${s.conflict.reason}`);
      outcome.reviews++;
    }
  }

  // A record that clearly matches two accounts kept apart (a father and son of one name, and a record with no
  // date of birth) could be either person: a steward decides, the model does not pick the first.
  const second = linkable[1];
  const ambiguous = (home === null || alone) && linkable[0] !== undefined && second !== undefined
    && !(await mayMerge(db, linkable[0].citizenId, second.citizenId, members));
  if (ambiguous) {
    for (const s of linkable) {
      await openReview(db, ctx, system, sourceRef, s, 'record matches two accounts that strong evidence or a steward keeps apart');
      outcome.reviews++;
    }
  }

  let target: number;
  const first = ambiguous ? undefined : linkable[0];
  if (home !== null && !alone) {
    target = home;
  } else if (first) {
    const weight = first.explanation.total;
    const by: LinkedBy = sharesIdentifier(me, first.best.prepared) ? 'identifier' : 'model';
    if (home !== null) {
      await unlinkRecord(db, system, sourceRef, MODEL, 'joined another account');
      await linkRecord(db, first.citizenId, system, sourceRef, by, weight, MODEL);
      target = (await memberCount(db, home)) === 0 ? await mergeCitizens(db, home, first.citizenId, { clientId: null, reason: 'its only record joined another account' }) : first.citizenId;
      if (target !== first.citizenId) members.set(target, members.get(first.citizenId) ?? []);
    } else {
      await linkRecord(db, first.citizenId, system, sourceRef, by, weight, MODEL);
      target = first.citizenId;
    }
    if (outcome.action === 'unchanged') outcome.action = 'joined';
  } else {
    if (home === null) {
      home = await createCitizen(db, MODEL, { system, sourceRef, linkedBy: 'model' });
      outcome.action = 'created';
    }
    target = home;
    const near = others.find((s) => !s.conflict && s.explanation.total >= reviewAt);
    if (near && !ambiguous) {
      await openReview(db, ctx, system, sourceRef, near, 'match weight in the review band');
      outcome.reviews++;
    }
  }

  // The record bridges every other account it clearly matches: merge unless evidence or a steward keeps them apart.
  const ownMembers = [...(members.get(target) ?? []), { citizenId: target, key: recordKey(system, sourceRef), system, sourceRef, prepared: me }];
  members.set(target, ownMembers);
  for (const s of ambiguous ? [] : linkable) {
    if (s.citizenId === target) continue;
    if (await mayMerge(db, target, s.citizenId, members)) {
      const merged = await mergeCitizens(db, target, s.citizenId, { clientId: null, reason: `record ${recordKey(system, sourceRef)} links both accounts` });
      members.set(merged, [...(members.get(target) ?? []), ...(members.get(s.citizenId) ?? [])]);
      target = merged;
      outcome.merges++;
    } else {
      await openReview(db, ctx, system, sourceRef, s, 'record links two accounts, but strong evidence or a steward decision keeps them apart');
      outcome.reviews++;
    }
  }
  outcome.citizenId = target;
  return outcome;
}

/** Links one source record in its own transaction. */
export function linkOne(ctx: LinkageContext, system: string, sourceRef: string, options: { force?: boolean } = {}): Promise<LinkOutcome> {
  return inTransaction(ctx.pool, (db) => linkInTransaction(db, ctx, system, sourceRef, options));
}
