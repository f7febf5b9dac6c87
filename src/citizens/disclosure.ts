/**
 * Disclosing citizens to one caller for one purpose: the policy decides per
 * citizen, denied categories are removed before anything is returned, and
 * every disclosure and denial is written to the audit trail. The reads (the
 * citizens, the register, a break-glass grant) and the audit entries are one
 * transaction, and the response is handed back only after its COMMIT, so a
 * failed audit write means nothing is disclosed.
 */
import type pg from 'pg';
import type { CitizenView } from '../../schemas/citizen-view.js';
import { appendAudit, appendAuditWhere, withAudit, type StoredEntry } from '../audit/store.js';
import type { AuthenticatedClient } from '../auth/clients.js';
import { Batcher, type BatchLimits, type Job } from '../db/batcher.js';
import { isPipelined, transaction } from '../db/transaction.js';
import { auditRecord } from '../policy/audit-record.js';
import { HUB_PURPOSES, PURPOSE_PATTERN, type DataCategory } from '../../schemas/categories.js';
import type { SharingAgreement } from '../../schemas/register.js';
import { withCriteria } from '../policy/criteria.js';
import {
  decide, EMERGENCY_PURPOSE, londonDate, permittedOfAnyone, POLICY_VERSION, recordlessDecisionKey, type BreakGlass, type Caller, type Decision,
} from '../policy/decide.js';
import { filterView, namesAsMember } from '../policy/filter.js';
import type { PolicyOptions } from '../policy/options.js';
import { registerGuardSql, registerGuardValues, type CachedAgreements, type RegisterGuard, type RegisterInputCache } from '../register/input-cache.js';
import { policyInputs, type PolicyInputs } from '../register/policy-inputs.js';
import { chooseGrant, listingGrant, NO_GRANT, openGrant, type GrantChoice } from './break-glass.js';
import type { CitizenLookup, CitizenSource } from './source.js';

export interface DisclosureContext {
  pool: pg.Pool;
  source: CitizenSource;
  options: PolicyOptions;
  clock: () => Date;
  /**
   * Agreements and record holders remembered between reads; with it, a
   * read of one citizen may be decided without reading the register, its
   * audit insert checking that nothing it relied on has changed. Without
   * it, every read reads the register.
   */
  cache?: RegisterInputCache;
}

export interface DisclosureRequest {
  client: AuthenticatedClient;
  purpose: string;
  /** X-Break-Glass-Reason, trimmed; null when not given. */
  breakGlassReason: string | null;
  requestId: string;
  action: string;
}

export type Outcome<T> =
  | { kind: 'ok'; value: T }
  /** Nothing to show: the same answer as for a citizen who does not exist. */
  | { kind: 'not-found' }
  | { kind: 'redirect'; to: string }
  /** Emergency purpose without a live grant or a reason. */
  | { kind: 'break-glass-reason-required' };

type Recorded<T> = { result: Outcome<T>; entries: StoredEntry[] };

const callerOf = (client: AuthenticatedClient): Caller => ({ clientId: client.id, orgId: client.orgId, role: client.role });

const sourceOf = (ctx: DisclosureContext, db: pg.PoolClient): CitizenSource => ctx.source.within?.(db) ?? ctx.source;

/** The view a read may show: a closed account has no records to show, so it is read as one that does not exist. */
async function viewToShow(source: CitizenSource, ref: string, now: Date): Promise<CitizenLookup> {
  const found = await source.view(ref, londonDate(now));
  return found && 'view' in found && found.closed ? null : found;
}

/** References merged into each citizen, when the source knows them. */
async function aliasesOf(source: CitizenSource, refs: readonly string[]): Promise<Map<string, string[]>> {
  if (source.mergedIntoEach) return source.mergedIntoEach(refs);
  const aliases = new Map<string, string[]>();
  if (!source.mergedInto) return aliases;
  for (const ref of refs) aliases.set(ref, await source.mergedInto(ref));
  return aliases;
}

interface Decided {
  decisions: Map<string, Decision>;
  grant: GrantChoice;
  grantMissing: boolean;
  /** The agreements naming the caller's organisation, as the decisions read them. */
  agreements: readonly SharingAgreement[];
}

/**
 * Decides for every citizen from the register as the read's transaction sees
 * it. Under emergency, `grant` is the request's break-glass grant (none when
 * not given): the caller chooses it, since a grant opens only the citizen it
 * was given for, or a listing's one request.
 */
async function decideAll(
  db: pg.PoolClient, ctx: DisclosureContext, req: DisclosureRequest, refs: readonly string[], now: Date,
  inputs: { aliases?: Map<string, string[]>; loaded?: Promise<PolicyInputs>; grant?: GrantChoice } = {},
): Promise<Decided> {
  const emergency = req.purpose === EMERGENCY_PURPOSE;
  const grant = emergency ? (inputs.grant ?? NO_GRANT) : NO_GRANT;
  const { agreements, registers, agreementsVersion } = await (inputs.loaded
    ?? policyInputs(db, req.client.orgId, refs, inputs.aliases ?? await aliasesOf(sourceOf(ctx, db), refs)));
  ctx.cache?.learn(req.client.orgId, agreementsVersion, agreements, registers.values());
  const decisions = new Map<string, Decision>();
  for (const ref of refs) {
    decisions.set(ref, decide({
      caller: callerOf(req.client), purpose: req.purpose, citizen: registers.get(ref)!, agreements, breakGlass: grant.grant, options: ctx.options, now,
    }));
  }
  return { decisions, grant, grantMissing: emergency && grant.grant === null, agreements };
}

/**
 * A decided read's outcome with its entries; a new break-glass grant is stored in the same transaction, only when
 * the read disclosed something under it: a refused one opens nothing (its reason is in its audit entry), so no grant
 * stands for a read that was not allowed, to open the citizen later or to show in their subject access.
 */
async function recorded<T>(db: pg.PoolClient, ctx: DisclosureContext, req: DisclosureRequest, choice: GrantChoice, result: Outcome<T>, entries: StoredEntry[]): Promise<Recorded<T>> {
  if (entries.some((e) => e.decision !== 'deny')) await openGrant(db, req.client.id, choice, ctx.options.breakGlassMinutes);
  return { result, entries };
}

/**
 * Runs one disclosure in a transaction of its own that commits its audit
 * entries, or, given `db`, in the caller's transaction, which must then
 * commit before anything disclosed leaves.
 */
async function inTransaction<T>(ctx: DisclosureContext, db: pg.PoolClient | undefined, fn: (db: pg.PoolClient) => Promise<Recorded<T>>): Promise<Outcome<T>> {
  if (!db) return withAudit(ctx.pool, fn);
  const { result, entries } = await fn(db);
  await appendAudit(db, entries);
  return result;
}

function entryFor(
  req: DisclosureRequest, at: Date, ref: string, decision: Decision, view: CitizenView | null, breakGlass: BreakGlass | null, tested?: readonly DataCategory[],
): StoredEntry {
  return auditRecord({ at, requestId: req.requestId, action: req.action, caller: callerOf(req.client), purpose: req.purpose, citizenRef: ref, decision, view, breakGlass, tested });
}

/** The household members of the views, whose names a view may show only when the caller may see their identity and address. */
const membersOf = (views: readonly CitizenView[]): string[] => [...new Set(views.flatMap((v) => (v.household ?? []).map((m) => m.citizenRef)))];

/**
 * Decides for the household members of the (filtered) views, and removes
 * every member whose identity or address the caller may not see (naming them
 * would place them at the citizen's address). `merged` holds the
 * references merged into members, as the views' lookups gave them; a member
 * it lacks is looked up. No break-glass grant opens a member: a grant is for
 * its own citizen.
 */
async function withoutHiddenMembers(
  db: pg.PoolClient, ctx: DisclosureContext, req: DisclosureRequest, views: CitizenView[], now: Date, merged: ReadonlyMap<string, string[]>,
): Promise<CitizenView[]> {
  const members = membersOf(views);
  if (members.length === 0) return views;
  const aliases = members.every((ref) => merged.has(ref)) ? new Map(members.map((ref) => [ref, merged.get(ref)!])) : undefined;
  const { decisions } = await decideAll(db, ctx, req, members, now, { aliases });
  const shown = (ref: string) => namesAsMember(decisions.get(ref)!);
  return views.map((v) => (v.household ? { ...v, household: v.household.filter((m) => shown(m.citizenRef)) } : v));
}

/** The references merged into household members that lookups gave. */
const memberAliases = (found: readonly { memberMergedRefs?: Record<string, string[]> }[]): Map<string, string[]> =>
  new Map(found.flatMap((f) => Object.entries(f.memberMergedRefs ?? {})));

/** One citizen by reference (GET /v1/citizens/{ref}). */
export async function discloseCitizen(ctx: DisclosureContext, req: DisclosureRequest, ref: string): Promise<Outcome<CitizenView>> {
  const now = ctx.clock();
  const cache = ctx.cache;
  const cached = cache?.agreementsOf(req.client.orgId);
  if (cache && cached && req.purpose !== EMERGENCY_PURPOSE && !cache.hasRecords(ref) && isPipelined(ctx.pool)) {
    const answer = await batcherOf(ctx, cache).submit({ req, ref, now, cached });
    if (answer) return answer;
  }
  return discloseFromRegister(ctx, req, ref, now);
}

/** Decisions are kept per organisation entry; a day's worth of roles and purposes is small, a year's is dropped. */
const DERIVED_DECISIONS = 1_000;

/** The decision for a citizen with no register records, from the cached agreements; the same for every such citizen. */
function recordlessDecision(ctx: DisclosureContext, cached: CachedAgreements, req: DisclosureRequest, ref: string, now: Date): Decision {
  const caller = callerOf(req.client);
  const key = recordlessDecisionKey(caller, req.purpose, now);
  const known = key === null ? undefined : cached.derived.get(key) as Decision | undefined;
  if (known) return known;
  const decision = decide({
    caller, purpose: req.purpose, citizen: { ref, consents: [], objections: [], restrictions: [] }, agreements: cached.agreements,
    breakGlass: null, options: ctx.options, now,
  });
  if (key !== null) {
    if (cached.derived.size >= DERIVED_DECISIONS) cached.derived.clear();
    cached.derived.set(key, decision);
  }
  return decision;
}

/**
 * Reads decided from cached agreements share transactions: at most
 * `concurrency` at a time (so that reads arriving meanwhile gather), each of
 * up to `maxBatch` reads. Two in flight keep PostgreSQL and the hub busy on
 * two cores under a heavy load; a third split a steady load into more,
 * smaller transactions, each paying its audit statement's fixed cost and a
 * WAL flush (docs/benchmarks.md, "two transactions in flight"). The second
 * opens only once four reads wait: at a moderate load reads that arrive
 * while one transaction runs go together in the next, as in a group commit,
 * instead of one by one in a second (docs/benchmarks.md, "a second
 * transaction only once reads queue"). With nothing running, while reads
 * come less than 3 ms apart on average (over 333 a second), the oldest
 * waits up to 3 ms for four to go together: each transaction's BEGIN,
 * audit statement, COMMIT and WAL flush then serve four reads instead of
 * about two (docs/benchmarks.md, "reads linger for company").
 */
export const READ_BATCH: BatchLimits = { concurrency: 2, maxBatch: 16, gather: 4, linger: 3 };

/** A read of a citizen last seen without register records, to be decided from the organisation's cached agreements. */
interface CachedRead {
  req: DisclosureRequest;
  ref: string;
  now: Date;
  cached: CachedAgreements;
}

/** What such a read came to: its outcome, or null when the register must decide it (it disclosed nothing). */
type CachedAnswer = Outcome<CitizenView> | null;

/** A read's part of its batch: its answer once committed, and the audit entry that must commit with it, under its guard. */
interface Planned {
  answer: CachedAnswer;
  audit?: { entry: StoredEntry; guard: RegisterGuard };
}

/** One batcher per context, i.e. per pool and cache. */
const batchers = new WeakMap<DisclosureContext, Batcher<CachedRead, CachedAnswer>>();

function batcherOf(ctx: DisclosureContext, cache: RegisterInputCache): Batcher<CachedRead, CachedAnswer> {
  let batcher = batchers.get(ctx);
  if (!batcher) {
    batcher = new Batcher((jobs) => readCached(ctx, cache, jobs), READ_BATCH);
    batchers.set(ctx, batcher);
  }
  return batcher;
}

/**
 * A read decided from its view and the cached agreements; a redirect is
 * decided for the survivor, by the register. Household members are decided
 * as the citizen is: none of them is known to hold register records, and the
 * guard checks, for them and the references merged into them as for the
 * citizen, that none does; a recordless member's decision is the citizen's,
 * so the members are named only when it permits identity and address.
 */
async function plan(ctx: DisclosureContext, cache: RegisterInputCache, source: CitizenSource, read: CachedRead, found: CitizenLookup): Promise<Planned> {
  if (found === null) return { answer: { kind: 'not-found' } };
  if (!('view' in found)) return { answer: null };
  const mergedInto = async (ref: string, known?: string[]) => known ?? (source.mergedInto ? await source.mergedInto(ref) : []);
  const decision = recordlessDecision(ctx, read.cached, read.req, read.ref, read.now);
  const guard = { agreementsVersion: read.cached.version, citizenRefs: [read.ref, ...await mergedInto(read.ref, found.mergedRefs)] };
  if (!decision.anyPermitted) return { answer: { kind: 'not-found' }, audit: { entry: entryFor(read.req, read.now, read.ref, decision, null, null), guard } };
  let view = filterView(found.view, decision);
  const members = membersOf([view]);
  if (members.some((ref) => cache.hasRecords(ref))) return { answer: null };
  for (const ref of members) guard.citizenRefs.push(ref, ...await mergedInto(ref, found.memberMergedRefs?.[ref]));
  if (members.length > 0 && !namesAsMember(decision)) view = { ...view, household: [] };
  return { answer: { kind: 'ok', value: view }, audit: { entry: entryFor(read.req, read.now, read.ref, decision, view, null), guard } };
}

/**
 * Reads decided from cached agreements, together in one transaction: BEGIN
 * leaves with every read's view statement, each read is decided, and one
 * insert of all their audit entries, each under its registerGuard, leaves
 * with COMMIT. Each read is answered only after that COMMIT, so each
 * disclosure commits with its own audit entry. A read whose guard failed
 * (agreements changed, or the citizen now has register records) inserted
 * and discloses nothing, and goes to the register alone. Should the
 * transaction fail, each read is tried again alone, so that only a read
 * that fails alone fails.
 */
async function readCached(ctx: DisclosureContext, cache: RegisterInputCache, jobs: Job<CachedRead, CachedAnswer>[]): Promise<void> {
  let inserted: boolean[] = [];
  let planned: Planned[];
  try {
    planned = await transaction(ctx.pool, async (db) => {
      const source = sourceOf(ctx, db);
      const found = await Promise.all(jobs.map((job) => viewToShow(source, job.input.ref, job.input.now)));
      const plans: Planned[] = [];
      for (const [i, job] of jobs.entries()) plans.push(await plan(ctx, cache, source, job.input, found[i]!));
      return plans;
    }, async (db, plans) => {
      const audits = plans.flatMap((p) => (p.audit ? [p.audit] : []));
      inserted = await appendAuditWhere(db, audits.map((a) => a.entry), {
        name: 'register-unchanged', sql: registerGuardSql, values: registerGuardValues(audits.map((a) => a.guard)),
      });
    });
  } catch (error) {
    if (jobs.length === 1) throw error;
    await Promise.all(jobs.map((job) => readCached(ctx, cache, [job]).catch((alone: unknown) => job.reject(alone))));
    return;
  }
  let next = 0;
  for (const [i, job] of jobs.entries()) {
    const { answer, audit } = planned[i]!;
    if (audit && !inserted[next++]) {
      cache.forget(job.input.req.client.orgId);
      job.resolve(null);
    } else {
      job.resolve(answer);
    }
  }
}

/** One citizen, decided from the register as the read's transaction reads it. */
async function discloseFromRegister(ctx: DisclosureContext, req: DisclosureRequest, ref: string, now: Date): Promise<Outcome<CitizenView>> {
  return inTransaction(ctx, undefined, async (db): Promise<Recorded<CitizenView>> => {
    // On a pipelined pool the register inputs for the reference as asked leave with the view, a round trip fewer. They
    // serve unless the view redirects or has references merged into it, whose consents and restrictions count too.
    const guessed = isPipelined(ctx.pool) ? policyInputs(db, req.client.orgId, [ref]) : undefined;
    guessed?.catch(() => undefined);
    const found = await viewToShow(sourceOf(ctx, db), ref, now);
    const emergency = req.purpose === EMERGENCY_PURPOSE;
    if (found === null) {
      // Emergency without a reason or a live grant for this reference is refused alike whether the citizen exists or not,
      // or the refusal would tell.
      const refused = emergency && (await chooseGrant(db, req.client.id, ref, req.breakGlassReason, now)).grant === null;
      return { result: { kind: refused ? 'break-glass-reason-required' : 'not-found' }, entries: [] };
    }
    const target = 'redirectTo' in found ? found.redirectTo : ref;
    const merged = 'view' in found ? found.mergedRefs : undefined;
    const inputs = {
      aliases: merged ? new Map([[target, merged]]) : undefined,
      loaded: target === ref && merged?.length === 0 ? guessed : undefined,
      // A grant is for the citizen the decision is made for: a merged reference's survivor.
      grant: emergency ? await chooseGrant(db, req.client.id, target, req.breakGlassReason, now) : NO_GRANT,
    };
    const decided = await decideAll(db, ctx, req, [target], now, inputs);
    const decision = decided.decisions.get(target)!;
    const grant = decided.grant.grant;
    if (!decision.anyPermitted) {
      const result: Outcome<CitizenView> = decided.grantMissing ? { kind: 'break-glass-reason-required' } : { kind: 'not-found' };
      return recorded(db, ctx, req, decided.grant, result, [entryFor(req, now, target, decision, null, grant)]);
    }
    // A redirect tells the caller the survivor's reference, so it is given only to a caller who may see the survivor,
    // and audited as the survivor's: nothing else of the view was disclosed.
    if (!('view' in found)) {
      return recorded(db, ctx, req, decided.grant, { kind: 'redirect', to: target }, [entryFor({ ...req, action: `${req.action}.redirect` }, now, target, decision, null, grant)]);
    }
    const [view] = await withoutHiddenMembers(db, ctx, req, [filterView(found.view, decision)], now, memberAliases([found]));
    return recorded(db, ctx, req, decided.grant, { kind: 'ok', value: view! }, [entryFor(req, now, target, decision, view!, grant)]);
  });
}

export interface DisclosedList {
  /** How many citizens the caller may see among the matches, at most the listing's cap; hidden people are never counted. */
  count: number;
  /** Present when there may be more such citizens than the cap. */
  more?: true;
  citizens: CitizenView[];
}

/** Which citizens a listing weighs, and what its criteria test. */
export type Listing = {
  /**
   * The categories the listing's criteria test: a citizen is listed only when
   * the caller may see every one, and a listed citizen's entry records them.
   */
  tested?: readonly DataCategory[];
} & (
  /** Every candidate, best first. */
  | { candidates: readonly string[] | ((source: CitizenSource) => Promise<readonly string[]>) }
  /**
   * The best `limit` candidates (a larger limit extends the same list): the
   * first `cap` the caller may see are counted and paged. Up to `scan`
   * candidates are weighed to find them, so that a hidden one among the best
   * takes no place of one the caller may see.
   */
  | { find: (source: CitizenSource, limit: number) => Promise<readonly string[]>; cap: number; scan: number }
);

/** The candidates a listing weighed, best first, each decided as it stands for the listing; `more` as in DisclosedList. */
interface Weighed {
  refs: string[];
  decisions: Map<string, Decision>;
  more: boolean;
}

/**
 * Decides a listing's candidates. A capped listing takes candidates in
 * rounds, each twice the last, until one more than the cap can be shown (so
 * `more` is known), the candidates run out, `scan` are weighed, or nobody
 * could be shown at all (no agreement of the caller's could permit every
 * category tested, or an emergency read without a grant, which is refused);
 * the weighed ones end at the last one needed.
 */
async function weigh(db: pg.PoolClient, ctx: DisclosureContext, req: DisclosureRequest, listing: Listing, now: Date, grant: GrantChoice): Promise<Weighed> {
  const source = sourceOf(ctx, db);
  const tested = listing.tested ?? [];
  const cap = 'find' in listing ? listing.cap : Number.POSITIVE_INFINITY;
  const weighed: Weighed = { refs: [], decisions: new Map(), more: false };
  let visible = 0;
  /** Decides the candidates not weighed yet; true once more than the cap can be shown. */
  const add = async (found: readonly string[]): Promise<{ decided: Decided; full: boolean }> => {
    const fresh = [...new Set(found)].filter((ref) => !weighed.decisions.has(ref));
    const decided = await decideAll(db, ctx, req, fresh, now, { grant });
    for (const ref of fresh) {
      const decision = withCriteria(decided.decisions.get(ref)!, tested);
      weighed.refs.push(ref);
      weighed.decisions.set(ref, decision);
      if (decision.anyPermitted && ++visible > cap) return { decided, full: true };
    }
    return { decided, full: false };
  };
  if (!('find' in listing)) {
    await add(typeof listing.candidates === 'function' ? await listing.candidates(source) : listing.candidates);
    return weighed;
  }
  for (let limit = listing.cap + 1; ; limit = Math.min(listing.scan, limit * 2)) {
    const found = await listing.find(source, limit);
    const { decided, full } = await add(found);
    if (full) return { ...weighed, more: true };
    if (found.length < limit) return weighed;
    const open = permittedOfAnyone({ caller: callerOf(req.client), purpose: req.purpose, agreements: decided.agreements, breakGlass: grant.grant, options: ctx.options, now });
    if (decided.grantMissing || open.length === 0 || !tested.every((c) => open.includes(c))) return weighed;
    // Stopped short: there may be more than the cap, some beyond the candidates weighed.
    if (limit >= listing.scan) return { ...weighed, more: true };
  }
}

/**
 * Several citizens (search results, occupants of a property), best first.
 * Citizens the caller may see nothing of, or not every category the
 * listing's criteria test, are dropped before counting and paging; each is
 * still audited as a denial. Candidates may be found in the read's
 * transaction, from its source; `db` runs the whole disclosure in the
 * caller's transaction.
 */
export async function discloseMany(
  ctx: DisclosureContext,
  req: DisclosureRequest,
  listing: Listing,
  page: { offset: number; limit: number },
  db?: pg.PoolClient,
): Promise<Outcome<DisclosedList>> {
  const now = ctx.clock();
  return inTransaction(ctx, db, async (tx): Promise<Recorded<DisclosedList>> => {
    const source = sourceOf(ctx, tx);
    // Chosen once: a listing may decide its candidates in several rounds, and opens at most one grant, its own, from
    // its own reason; a grant given for one citizen never opens a listing.
    const emergency = req.purpose === EMERGENCY_PURPOSE;
    const choice = emergency ? listingGrant(req.breakGlassReason, now) : NO_GRANT;
    const { refs, decisions, more } = await weigh(tx, ctx, req, listing, now, choice);
    const grant = choice.grant;
    const entries: StoredEntry[] = [];
    const visible = refs.filter((ref) => decisions.get(ref)!.anyPermitted).slice(0, 'find' in listing ? listing.cap : undefined);
    for (const ref of refs) {
      const decision = decisions.get(ref)!;
      if (!decision.anyPermitted) entries.push(entryFor(req, now, ref, decision, null, grant));
    }
    if (emergency && grant === null) {
      return recorded(tx, ctx, req, choice, { kind: 'break-glass-reason-required' }, entries.length ? entries : [nothingFound(req, now)]);
    }
    const shown: string[] = [];
    const filtered: CitizenView[] = [];
    const lookups: { memberMergedRefs?: Record<string, string[]> }[] = [];
    for (const ref of visible.slice(page.offset, page.offset + page.limit)) {
      // Search and occupants list active accounts only; a closed account comes here only to publish its closing, with its empty view.
      const found = await source.view(ref, londonDate(now));
      if (found === null || !('view' in found)) continue;
      shown.push(ref);
      filtered.push(filterView(found.view, decisions.get(ref)!));
      lookups.push(found);
    }
    const citizens = await withoutHiddenMembers(tx, ctx, req, filtered, now, memberAliases(lookups));
    citizens.forEach((view, i) => entries.push(entryFor(req, now, shown[i]!, decisions.get(shown[i]!)!, view, grant, listing.tested)));
    const list: DisclosedList = more ? { count: visible.length, more: true, citizens } : { count: visible.length, citizens };
    return recorded(tx, ctx, req, choice, { kind: 'ok', value: list }, entries.length ? entries : [nothingFound(req, now)]);
  });
}

/** Why a read was refused before the policy decided anything. */
export type ReadRefusal = 'purpose-missing' | 'purpose-unknown' | 'break-glass-reason-too-short';

const PURPOSE_NAME = new RegExp(PURPOSE_PATTERN);
/** The purpose recorded for a refused read that stated none. */
export const NO_PURPOSE = '(none)';
/** The purpose recorded for a refused read whose X-Purpose is not a purpose name, or is one of the hub's own. */
export const PURPOSE_NOT_RECORDED = '(not recorded)';

/**
 * The purpose a refused read stated, as the trail may keep it: a purpose
 * name, else a marker. Header text can be anything, personal data included;
 * and a purpose the hub records its own work under would pass the refusal
 * off as that work.
 */
export function recordablePurpose(stated: string): string {
  if (stated === '') return NO_PURPOSE;
  return PURPOSE_NAME.test(stated) && !(HUB_PURPOSES as readonly string[]).includes(stated) ? stated : PURPOSE_NOT_RECORDED;
}

/**
 * A read of a citizen (or a search or listing, with no citizen) refused
 * before the policy decided: a denial like any other, so that the DPO sees
 * every attempt. Nothing of the request but its purpose, as recordablePurpose
 * keeps it, is recorded; never the break-glass reason refused as too short.
 */
export function refusedRead(
  client: AuthenticatedClient, requestId: string, at: Date, action: string, citizenRef: string | null, purpose: string, refused: ReadRefusal,
): StoredEntry {
  return {
    at: at.toISOString(), requestId, action, clientId: client.id, orgId: client.orgId, role: client.role, purpose: recordablePurpose(purpose),
    citizenRef, agreements: [], consentIds: [], categoriesDisclosed: [], categoriesDenied: [], fieldsDisclosed: [], decision: 'deny', reasons: {},
    policyVersion: POLICY_VERSION, breakGlassReason: null, reviewRequired: purpose === EMERGENCY_PURPOSE, detail: { refused },
  };
}

/** A search or listing that matched nobody is audited too: the criteria were asked about someone. */
function nothingFound(req: DisclosureRequest, at: Date): StoredEntry {
  return {
    at: at.toISOString(), requestId: req.requestId, action: req.action, clientId: req.client.id, orgId: req.client.orgId,
    role: req.client.role, purpose: req.purpose, citizenRef: null, agreements: [], consentIds: [], categoriesDisclosed: [],
    categoriesDenied: [], fieldsDisclosed: [], decision: 'deny', reasons: {}, policyVersion: POLICY_VERSION,
    breakGlassReason: req.purpose === EMERGENCY_PURPOSE ? req.breakGlassReason : null, reviewRequired: req.purpose === EMERGENCY_PURPOSE,
  };
}
