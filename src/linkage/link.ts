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
import { coParties, dobLevel, explainPair, generationAgeDoubt, householdDoubt, prepare, rivalDoubt, thinEvidence, type Doubt, type PairExplanation, type PreparedPerson } from '../../matching/person/index.js';
import { recordLinked } from '../publish/outbox.js';
import { MODEL, type LinkedBy } from './accounts.js';
import { inTransaction, type LinkageContext } from './context.js';
import { personFeatures, recordKey } from './features.js';
import { DbLinkStore, NO_DECISIONS, type LinkStore, type Member } from './link-store.js';
import { currentOf, indexRecord, isChanged, RECORD_SQL, type RecordRow, type RecordState } from './person-index.js';

export type LinkAction = 'created' | 'joined' | 'kept' | 'moved' | 'steward' | 'unchanged' | 'missing';

export interface LinkOutcome {
  action: LinkAction;
  citizenId: number | null;
  /** Accounts merged into the record's account by this run. */
  merges: number;
  /** Review items opened or refreshed. */
  reviews: number;
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
 * them: two parties of one source account, different valid NHS numbers, or dates of birth that differ by more
 * than a clerical slip (a transposition, one digit), unless the same valid NHS number says otherwise.
 * Joining one account is the model's decision; merging two needs this too.
 */
export function strongConflict(a: PreparedPerson, b: PreparedPerson): boolean {
  if (coParties(a, b)) return true;
  if (a.nhsNumber !== null && b.nhsNumber !== null) return a.nhsNumber !== b.nhsNumber;
  if (a.dob === null || b.dob === null) return false;
  // Same year but month and day both differ is no clerical slip either: a transposition or one digit is.
  const level = dobLevel(a.dob, b.dob);
  return level === 'different' || level === 'year';
}

/** Whether two accounts may be merged: no strong conflict between their records and no steward decision keeping them apart. */
async function mayMerge(store: LinkStore, a: number, b: number, members: ReadonlyMap<number, Member[]>): Promise<boolean> {
  const left = members.get(a) ?? [];
  const right = members.get(b) ?? [];
  if (left.some((x) => right.some((y) => strongConflict(x.prepared, y.prepared)))) return false;
  return !(await store.stewardKeepsApart(a, b));
}

function openReview(store: LinkStore, ctx: LinkageContext, system: string, sourceRef: string, s: Scored, reason: string): Promise<void> {
  return store.openReview({
    system, sourceRef, citizenId: s.citizenId, candidateSystem: s.best.system, candidateRef: s.best.sourceRef, weight: s.explanation.total,
    fields: s.explanation.fields, modelDecision: s.explanation.decision, reason, modelVersion: ctx.modelVersion,
  });
}

const sharesIdentifier = (a: PreparedPerson, b: PreparedPerson): boolean =>
  (a.nhsNumber !== null && a.nhsNumber === b.nhsNumber) || (a.nino !== null && a.nino === b.nino);

function firstDoubt(list: readonly Member[], doubt: (m: Member) => Doubt | null): Doubt | null {
  for (const m of list) {
    const d = doubt(m);
    if (d) return d;
  }
  return null;
}

/**
 * The joint-party rule looking back: `me` is kept out of an account because
 * one of its records, C, is named beside `me` on a source account, so they
 * are two people. A record M that joined that account earlier with neither
 * date of birth nor identifier (a council-tax "KIT M" beside a tenancy's
 * CHRISTOPHER, born 2006) may as well be `me` (the tenancy's "TOPHER", his
 * father), and only came first. When rivalDoubt says `me` matches M as well
 * as C does, M leaves the account and goes to review against it; a
 * steward's placement stays. Answers how many reviews were opened.
 */
async function releaseRivalled(
  store: LinkStore, ctx: LinkageContext, me: PreparedPerson, members: Map<number, Member[]>, home: number | null, today: string,
): Promise<number> {
  let reviews = 0;
  const mine = home === null ? [] : (members.get(home) ?? []);
  for (const [citizenId, list] of members) {
    if (citizenId === home) continue;
    const parties = list.filter((m) => coParties(me, m.prepared));
    if (parties.length === 0) continue;
    for (const m of [...list]) {
      const p = m.prepared;
      if (p.dob !== null || p.nhsNumber !== null || p.nino !== null || coParties(me, p)) continue;
      // Named beside a record of `me`'s own account, M is someone else than `me`: no rival. (Released anyway, a record
      // of M's account bridging it back merged it again, run after run.)
      if (mine.some((x) => coParties(x.prepared, p))) continue;
      for (const party of parties) {
        const e = explainPair(ctx.model, p, party.prepared);
        if (e.total < ctx.model.thresholds.link) continue;
        const doubt = rivalDoubt(ctx.model, p, party.prepared, e, [me], today);
        if (!doubt) continue;
        if ((await store.decisionsFor(m.system, m.sourceRef, citizenId)).stewardTarget !== null) break;
        await store.splitRecord(m.system, m.sourceRef, 'model', { clientId: null, reason: 'a later record named beside its account\'s record matches it as well' });
        await openReview(store, ctx, m.system, m.sourceRef, { citizenId, best: party, explanation: e, conflict: doubt }, `left the account: ${doubt.reason}`);
        list.splice(list.indexOf(m), 1);
        reviews++;
        break;
      }
    }
  }
  return reviews;
}

/** Links one source record (its current version) inside the caller's transaction, which holds the linkage lock. */
export async function linkInTransaction(db: pg.PoolClient, ctx: LinkageContext, system: string, sourceRef: string, options: { force?: boolean } = {}): Promise<LinkOutcome> {
  const row = (await db.query<RecordRow>(RECORD_SQL, [system, sourceRef])).rows[0];
  if (!row) return { action: 'missing', citizenId: null, merges: 0, reviews: 0 };
  const current = currentOf(row);
  if (current && !isChanged(row) && !options.force) return { action: 'unchanged', citizenId: current.citizenId, merges: 0, reviews: 0 };
  const features = personFeatures(row.record, row.matched_uprn, row.matched_parse);
  const me = prepare(features, ctx.tables);
  const keys = await indexRecord(db, ctx, Number(row.id), features, me, system, sourceRef);
  return recordLinked(db, isChanged(row), await linkIndexed(new DbLinkStore(db, ctx), ctx, row, me, keys));
}

/** The linking decision for a record already indexed as its current version. */
export async function linkIndexed(store: LinkStore, ctx: LinkageContext, row: RecordState, me: PreparedPerson, keys: readonly string[]): Promise<LinkOutcome> {
  const outcome: LinkOutcome = { action: 'unchanged', citizenId: null, merges: 0, reviews: 0 };
  const { system, source_ref: sourceRef } = row;
  const current = currentOf(row);
  // A closed record stays where it is: its link is history the account keeps.
  if (current && row.closed) return { ...outcome, action: 'kept', citizenId: current.citizenId };

  const decisions = row.decided ? await store.decisionsFor(system, sourceRef, current?.citizenId ?? null) : NO_DECISIONS;
  if (decisions.stewardTarget !== null) {
    if (current?.citizenId !== decisions.stewardTarget) {
      if (current) await store.unlinkRecord(system, sourceRef, { clientId: null, reason: 'steward decision' }, 'steward decision');
      await store.linkRecord(decisions.stewardTarget, system, sourceRef, 'steward', null, { clientId: null, reason: 'steward decision' });
    }
    return { ...outcome, action: 'steward', citizenId: decisions.stewardTarget };
  }
  if (current?.linkedBy === 'steward') return { ...outcome, action: 'kept', citizenId: current.citizenId };

  const members = new Map<number, Member[]>();
  for (const m of await store.members(keys, system, sourceRef, current ? [current.citizenId] : [])) {
    const list = members.get(m.citizenId);
    if (list) list.push(m);
    else members.set(m.citizenId, [m]);
  }
  const barred = (id: number) => decisions.barredCitizens.has(id) || (members.get(id) ?? []).some((m) => decisions.barredRecords.has(m.key));
  const scored: Scored[] = [];
  const today = new Date().toISOString().slice(0, 10);
  let neighbours: PreparedPerson[] | null = null;
  for (const [citizenId, all] of members) {
    // A steward vouched that the records they placed in the record's own account belong there: they are no evidence
    // against the record staying, and the model judges it by the records the model linked (else a steward's link of a
    // father's record would split the son's records off their account, and the next run merge it into the father's).
    const list = citizenId === current?.citizenId ? all.filter((m) => !m.bySteward) : all;
    let best: Scored | null = null;
    for (const m of list) {
      const explanation = explainPair(ctx.model, me, m.prepared);
      if (best === null || explanation.total > best.explanation.total) best = { citizenId, best: m, explanation, conflict: null };
    }
    if (best) {
      // Every record of the account counts, not only the closest: a record without a date of birth must not carry a son into his father's account.
      let conflict = list.some((m) => coParties(me, m.prepared)) ? { reason: 'a record of the account is named beside it on one source account', review: false }
        : list.some((m) => identifiersConflict(me, m.prepared)) ? { reason: 'the NHS or NI numbers differ', review: true }
        : list.some((m) => strongConflict(me, m.prepared)) ? { reason: 'another record of the account has a different date of birth', review: true }
        : householdDoubt(best.explanation) ?? thinEvidence(best.explanation) ?? firstDoubt(list, (m) => generationAgeDoubt(me, m.prepared, today));
      // Only against joining another account: a record's own account is not left on a rival's account.
      if (!conflict && citizenId !== current?.citizenId && best.explanation.total >= ctx.model.thresholds.link) {
        neighbours ??= await store.neighbours(keys, system, sourceRef, [...members.values()].flat());
        conflict = rivalDoubt(ctx.model, me, best.best.prepared, best.explanation, neighbours, today);
      }
      scored.push({ ...best, conflict });
    }
  }
  outcome.reviews += await releaseRivalled(store, ctx, me, members, current?.citizenId ?? null, today);
  scored.sort((a, b) => b.explanation.total - a.explanation.total || a.citizenId - b.citizenId);
  const { link: linkAt, review: reviewAt } = ctx.model.thresholds;

  // The account the record is in now: stays when its other records still agree, else the record leaves it.
  let home: number | null = current?.citizenId ?? null;
  let alone = home !== null && !members.has(home);
  if (home !== null && !alone) {
    const own = scored.find((s) => s.citizenId === home);
    // Beside records a steward placed there only: the steward's decision, which the model does not overrule.
    const vouched = !own && (members.get(home) ?? []).every((m) => m.bySteward);
    if (barred(home) || (!vouched && (!own || own.conflict || own.explanation.total < reviewAt))) {
      home = await store.leaveAccount(system, sourceRef, { clientId: null, reason: 'record changed: no longer agrees with its account' });
      // Alone in its account now: a new one, or its own, which a wrong merge's records left (leaveAccount).
      members.delete(home);
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
      await openReview(store, ctx, system, sourceRef, s, `match weight over the link threshold, but ${s.conflict.reason}`);
      outcome.reviews++;
    }
  }

  // A record that clearly matches two accounts kept apart (a father and son of one name, and a record with no
  // date of birth) could be either person: a steward decides, the model does not pick the first. Unless the
  // best is ahead of the other by as much as a link needs (an email or NI number only one of them shares).
  const second = linkable[1];
  const ambiguous = (home === null || alone) && linkable[0] !== undefined && second !== undefined
    && linkable[0].explanation.total - second.explanation.total < linkAt
    && !(await mayMerge(store, linkable[0].citizenId, second.citizenId, members));
  if (ambiguous) {
    for (const s of linkable) {
      await openReview(store, ctx, system, sourceRef, s, 'record matches two accounts that strong evidence or a steward keeps apart');
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
      await store.unlinkRecord(system, sourceRef, MODEL, 'joined another account');
      await store.linkRecord(first.citizenId, system, sourceRef, by, weight, MODEL);
      target = (await store.memberCount(home)) === 0 ? await store.settleEmptied(home, first.citizenId, { clientId: null, reason: 'its only record joined another account' }) : first.citizenId;
      if (target !== first.citizenId) members.set(target, members.get(first.citizenId) ?? []);
    } else {
      await store.linkRecord(first.citizenId, system, sourceRef, by, weight, MODEL);
      target = first.citizenId;
    }
    if (outcome.action === 'unchanged') outcome.action = 'joined';
  } else {
    if (home === null) {
      home = await store.createCitizen(MODEL, { system, sourceRef, linkedBy: 'model' });
      outcome.action = 'created';
    }
    target = home;
    const near = others.find((s) => !s.conflict && s.explanation.total >= reviewAt);
    if (near && !ambiguous) {
      await openReview(store, ctx, system, sourceRef, near, 'match weight in the review band');
      outcome.reviews++;
    }
  }

  // The record bridges every other account it clearly matches: merge unless evidence or a steward keeps them apart.
  const ownMembers = [...(members.get(target) ?? []), { citizenId: target, key: recordKey(system, sourceRef), system, sourceRef, prepared: me }];
  members.set(target, ownMembers);
  for (const s of ambiguous ? [] : linkable) {
    if (s.citizenId === target) continue;
    if (await mayMerge(store, target, s.citizenId, members)) {
      const merged = await store.mergeCitizens(target, s.citizenId, { clientId: null, reason: `record ${recordKey(system, sourceRef)} links both accounts` });
      members.set(merged, [...(members.get(target) ?? []), ...(members.get(s.citizenId) ?? [])]);
      target = merged;
      outcome.merges++;
    } else {
      await openReview(store, ctx, system, sourceRef, s, 'record links two accounts, but strong evidence or a steward decision keeps them apart');
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
