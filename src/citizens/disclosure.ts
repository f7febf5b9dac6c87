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
import { appendAudit, ConditionFailed, withAudit, type InsertCondition, type StoredEntry } from '../audit/store.js';
import type { AuthenticatedClient } from '../auth/clients.js';
import { isPipelined } from '../db/transaction.js';
import { auditRecord } from '../policy/audit-record.js';
import { decide, EMERGENCY_PURPOSE, POLICY_VERSION, recordlessDecisionKey, type BreakGlass, type Caller, type Decision } from '../policy/decide.js';
import { filterView } from '../policy/filter.js';
import type { PolicyOptions } from '../policy/options.js';
import { registerGuardSql, registerGuardValues, type CachedAgreements, type RegisterInputCache } from '../register/input-cache.js';
import { policyInputs, type PolicyInputs } from '../register/policy-inputs.js';
import { chooseGrant, openGrant, type GrantChoice } from './break-glass.js';
import type { CitizenSource } from './source.js';

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

type Recorded<T> = { result: Outcome<T>; entries: StoredEntry[]; condition?: InsertCondition };

const callerOf = (client: AuthenticatedClient): Caller => ({ clientId: client.id, orgId: client.orgId, role: client.role });

const sourceOf = (ctx: DisclosureContext, db: pg.PoolClient): CitizenSource => ctx.source.within?.(db) ?? ctx.source;

/** References merged into each citizen, when the source knows them. */
async function aliasesOf(source: CitizenSource, refs: readonly string[]): Promise<Map<string, string[]>> {
  const aliases = new Map<string, string[]>();
  if (!source.mergedInto) return aliases;
  for (const ref of refs) aliases.set(ref, await source.mergedInto(ref));
  return aliases;
}

interface Decided {
  decisions: Map<string, Decision>;
  grant: GrantChoice;
  grantMissing: boolean;
}

/** Decides for every citizen from the register as the read's transaction sees it. */
async function decideAll(
  db: pg.PoolClient, ctx: DisclosureContext, req: DisclosureRequest, refs: readonly string[], now: Date,
  inputs: { aliases?: Map<string, string[]>; loaded?: Promise<PolicyInputs> } = {},
): Promise<Decided> {
  const emergency = req.purpose === EMERGENCY_PURPOSE;
  const grant = emergency ? await chooseGrant(db, req.client.id, req.breakGlassReason, now) : { grant: null, open: false };
  const { agreements, registers, agreementsVersion } = await (inputs.loaded
    ?? policyInputs(db, req.client.orgId, refs, inputs.aliases ?? await aliasesOf(sourceOf(ctx, db), refs)));
  ctx.cache?.learn(req.client.orgId, agreementsVersion, agreements, registers.values());
  const decisions = new Map<string, Decision>();
  for (const ref of refs) {
    decisions.set(ref, decide({
      caller: callerOf(req.client), purpose: req.purpose, citizen: registers.get(ref)!, agreements, breakGlass: grant.grant, options: ctx.options, now,
    }));
  }
  return { decisions, grant, grantMissing: emergency && grant.grant === null };
}

/** A decided read's outcome with its entries; a new break-glass grant is stored in the same transaction. */
async function recorded<T>(db: pg.PoolClient, ctx: DisclosureContext, req: DisclosureRequest, decided: Decided, result: Outcome<T>, entries: StoredEntry[]): Promise<Recorded<T>> {
  if (decided.grant.open && decided.grant.grant) await openGrant(db, req.client.id, decided.grant.grant, ctx.options.breakGlassMinutes);
  return { result, entries };
}

/**
 * Runs one disclosure in a transaction of its own that commits its audit
 * entries, or, given `db`, in the caller's transaction, which must then
 * commit before anything disclosed leaves.
 */
async function inTransaction<T>(ctx: DisclosureContext, db: pg.PoolClient | undefined, fn: (db: pg.PoolClient) => Promise<Recorded<T>>): Promise<Outcome<T>> {
  if (!db) return withAudit(ctx.pool, fn);
  const { result, entries, condition } = await fn(db);
  await appendAudit(db, entries, condition);
  return result;
}

function entryFor(req: DisclosureRequest, at: Date, ref: string, decision: Decision, view: CitizenView | null, breakGlass: BreakGlass | null): StoredEntry {
  return auditRecord({ at, requestId: req.requestId, action: req.action, caller: callerOf(req.client), purpose: req.purpose, citizenRef: ref, decision, view, breakGlass });
}

/** One citizen by reference (GET /v1/citizens/{ref}). */
export async function discloseCitizen(ctx: DisclosureContext, req: DisclosureRequest, ref: string): Promise<Outcome<CitizenView>> {
  const now = ctx.clock();
  return (ctx.cache && await discloseFromCache(ctx, ctx.cache, req, ref, now)) ?? discloseFromRegister(ctx, req, ref, now);
}

/** The read is not one a cache can decide: a redirect (decided for the survivor, by the register). */
class NotFromCache extends Error {}

/** The audit insert's condition for a read decided from agreements cached at `version` (src/register/input-cache.ts). */
const registerGuard = (version: number, citizenRefs: readonly string[]): InsertCondition =>
  ({ name: 'register-unchanged', sql: registerGuardSql, values: registerGuardValues({ agreementsVersion: version, citizenRefs }) });

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
 * The read of a citizen last seen without register records, decided from
 * the organisation's cached agreements: BEGIN and the view, then the audit
 * insert under registerGuard and COMMIT, one statement fewer than reading
 * the register. Null when it cannot be decided this way, or the guard found
 * the agreements changed or the citizen with records: that transaction
 * inserted and disclosed nothing, and the read goes to the register.
 */
async function discloseFromCache(
  ctx: DisclosureContext, cache: RegisterInputCache, req: DisclosureRequest, ref: string, now: Date,
): Promise<Outcome<CitizenView> | null> {
  const cached = cache.agreementsOf(req.client.orgId);
  if (!cached || req.purpose === EMERGENCY_PURPOSE || cache.hasRecords(ref) || !isPipelined(ctx.pool)) return null;
  try {
    return await inTransaction(ctx, undefined, async (db): Promise<Recorded<CitizenView>> => {
      const source = sourceOf(ctx, db);
      const found = await source.view(ref);
      if (found === null) return { result: { kind: 'not-found' }, entries: [] };
      if (!('view' in found)) throw new NotFromCache();
      const merged = found.mergedRefs ?? (source.mergedInto ? await source.mergedInto(ref) : []);
      const decision = recordlessDecision(ctx, cached, req, ref, now);
      const condition = registerGuard(cached.version, [ref, ...merged]);
      if (!decision.anyPermitted) return { result: { kind: 'not-found' }, entries: [entryFor(req, now, ref, decision, null, null)], condition };
      const view = filterView(found.view, decision);
      return { result: { kind: 'ok', value: view }, entries: [entryFor(req, now, ref, decision, view, null)], condition };
    });
  } catch (error) {
    if (error instanceof ConditionFailed) {
      cache.forget(req.client.orgId);
      return null;
    }
    if (error instanceof NotFromCache) return null;
    throw error;
  }
}

/** One citizen, decided from the register as the read's transaction reads it. */
async function discloseFromRegister(ctx: DisclosureContext, req: DisclosureRequest, ref: string, now: Date): Promise<Outcome<CitizenView>> {
  return inTransaction(ctx, undefined, async (db): Promise<Recorded<CitizenView>> => {
    // On a pipelined pool the register inputs for the reference as asked leave with the view, a round trip fewer. They
    // serve unless the view redirects or has references merged into it, whose consents and restrictions count too.
    const guessed = isPipelined(ctx.pool) ? policyInputs(db, req.client.orgId, [ref]) : undefined;
    guessed?.catch(() => undefined);
    const found = await sourceOf(ctx, db).view(ref);
    if (found === null) return { result: { kind: 'not-found' }, entries: [] };
    const target = 'redirectTo' in found ? found.redirectTo : ref;
    const merged = 'view' in found ? found.mergedRefs : undefined;
    const inputs = {
      aliases: merged ? new Map([[target, merged]]) : undefined,
      loaded: target === ref && merged?.length === 0 ? guessed : undefined,
    };
    const decided = await decideAll(db, ctx, req, [target], now, inputs);
    const decision = decided.decisions.get(target)!;
    const grant = decided.grant.grant;
    if (!decision.anyPermitted) {
      const result: Outcome<CitizenView> = decided.grantMissing ? { kind: 'break-glass-reason-required' } : { kind: 'not-found' };
      return recorded(db, ctx, req, decided, result, [entryFor(req, now, target, decision, null, grant)]);
    }
    // A redirect tells the caller the survivor's reference, so it is given only to a caller who may see the survivor.
    if (!('view' in found)) return { result: { kind: 'redirect', to: target }, entries: [] };
    const view = filterView(found.view, decision);
    return recorded(db, ctx, req, decided, { kind: 'ok', value: view }, [entryFor(req, now, target, decision, view, grant)]);
  });
}

export interface DisclosedList {
  /** How many citizens the caller may see among all matches; hidden people are never counted. */
  count: number;
  citizens: CitizenView[];
}

/**
 * Several citizens (search results, occupants of a property), best first.
 * Citizens the caller may see nothing of are dropped before counting and
 * paging; each is still audited as a denial. `candidates` may be found in
 * the read's transaction, from its source; `db` runs the whole disclosure
 * in the caller's transaction.
 */
export async function discloseMany(
  ctx: DisclosureContext,
  req: DisclosureRequest,
  candidates: readonly string[] | ((source: CitizenSource) => Promise<readonly string[]>),
  page: { offset: number; limit: number },
  db?: pg.PoolClient,
): Promise<Outcome<DisclosedList>> {
  const now = ctx.clock();
  return inTransaction(ctx, db, async (tx): Promise<Recorded<DisclosedList>> => {
    const source = sourceOf(ctx, tx);
    const refs = [...new Set(typeof candidates === 'function' ? await candidates(source) : candidates)];
    const decided = await decideAll(tx, ctx, req, refs, now);
    const grant = decided.grant.grant;
    const entries: StoredEntry[] = [];
    const visible = refs.filter((ref) => decided.decisions.get(ref)!.anyPermitted);
    for (const ref of refs) {
      const decision = decided.decisions.get(ref)!;
      if (!decision.anyPermitted) entries.push(entryFor(req, now, ref, decision, null, grant));
    }
    if (decided.grantMissing) {
      return recorded(tx, ctx, req, decided, { kind: 'break-glass-reason-required' }, entries.length ? entries : [nothingFound(req, now)]);
    }
    const citizens: CitizenView[] = [];
    for (const ref of visible.slice(page.offset, page.offset + page.limit)) {
      const found = await source.view(ref);
      if (found === null || !('view' in found)) continue;
      const view = filterView(found.view, decided.decisions.get(ref)!);
      citizens.push(view);
      entries.push(entryFor(req, now, ref, decided.decisions.get(ref)!, view, grant));
    }
    return recorded(tx, ctx, req, decided, { kind: 'ok', value: { count: visible.length, citizens } }, entries.length ? entries : [nothingFound(req, now)]);
  });
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
