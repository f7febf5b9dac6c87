/**
 * Disclosing citizens to one caller for one purpose: the policy decides per
 * citizen, denied categories are removed before anything is returned, and
 * every disclosure and denial is written to the audit trail. The response is
 * built before the audit transaction and handed back only after its COMMIT,
 * so a failed audit write means nothing is disclosed.
 */
import type pg from 'pg';
import type { CitizenView } from '../../schemas/citizen-view.js';
import type { StoredEntry } from '../audit/store.js';
import { appendAuditGrouped, withAudit } from '../audit/store.js';
import type { AuthenticatedClient } from '../auth/clients.js';
import { auditRecord } from '../policy/audit-record.js';
import { decide, EMERGENCY_PURPOSE, POLICY_VERSION, type BreakGlass, type Caller, type Decision } from '../policy/decide.js';
import { filterView } from '../policy/filter.js';
import type { PolicyOptions } from '../policy/options.js';
import { policyInputs } from '../register/policy-inputs.js';
import { chooseGrant, openGrant, type GrantChoice } from './break-glass.js';
import type { CitizenSource } from './source.js';

export interface DisclosureContext {
  pool: pg.Pool;
  source: CitizenSource;
  options: PolicyOptions;
  clock: () => Date;
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

const callerOf = (client: AuthenticatedClient): Caller => ({ clientId: client.id, orgId: client.orgId, role: client.role });

/** References merged into each citizen, when the source knows them. */
async function aliasesOf(source: CitizenSource, refs: readonly string[]): Promise<Map<string, string[]>> {
  const aliases = new Map<string, string[]>();
  if (!source.mergedInto) return aliases;
  await Promise.all(refs.map(async (ref) => aliases.set(ref, await source.mergedInto!(ref))));
  return aliases;
}

interface Decided {
  decisions: Map<string, Decision>;
  grant: GrantChoice;
  grantMissing: boolean;
}

/** Decides for every citizen from the register as it stands; reads only, outside the audit transaction. */
async function decideAll(ctx: DisclosureContext, req: DisclosureRequest, refs: readonly string[], now: Date, aliases?: Map<string, string[]>): Promise<Decided> {
  const emergency = req.purpose === EMERGENCY_PURPOSE;
  const grant = emergency ? await chooseGrant(ctx.pool, req.client.id, req.breakGlassReason, now) : { grant: null, open: false };
  const { agreements, registers } = await policyInputs(ctx.pool, req.client.orgId, refs, aliases ?? await aliasesOf(ctx.source, refs));
  const decisions = new Map<string, Decision>();
  for (const ref of refs) {
    decisions.set(ref, decide({
      caller: callerOf(req.client), purpose: req.purpose, citizen: registers.get(ref)!, agreements, breakGlass: grant.grant, options: ctx.options, now,
    }));
  }
  return { decisions, grant, grantMissing: emergency && grant.grant === null };
}

/**
 * The write half: a new break-glass grant and the audit entries commit
 * together, last, so the chain head is locked only briefly; the caller sends
 * the response only after this returns.
 */
async function record(ctx: DisclosureContext, req: DisclosureRequest, decided: Decided, entries: StoredEntry[]): Promise<void> {
  // The common case, no grant to open: the request's entries go through the group writer, which commits them with other requests' in one statement.
  if (!decided.grant.open) {
    await appendAuditGrouped(ctx.pool, entries);
    return;
  }
  await withAudit(ctx.pool, async (db) => {
    if (decided.grant.grant) await openGrant(db, req.client.id, decided.grant.grant, ctx.options.breakGlassMinutes);
    return { result: null, entries };
  });
}

function entryFor(req: DisclosureRequest, at: Date, ref: string, decision: Decision, view: CitizenView | null, breakGlass: BreakGlass | null): StoredEntry {
  return auditRecord({ at, requestId: req.requestId, action: req.action, caller: callerOf(req.client), purpose: req.purpose, citizenRef: ref, decision, view, breakGlass });
}

/** One citizen by reference (GET /v1/citizens/{ref}). */
export async function discloseCitizen(ctx: DisclosureContext, req: DisclosureRequest, ref: string): Promise<Outcome<CitizenView>> {
  const now = ctx.clock();
  const found = await ctx.source.view(ref);
  if (found === null) return { kind: 'not-found' };
  const target = 'redirectTo' in found ? found.redirectTo : ref;
  const known = 'view' in found && found.mergedRefs ? new Map([[target, found.mergedRefs]]) : undefined;
  const decided = await decideAll(ctx, req, [target], now, known);
  const decision = decided.decisions.get(target)!;
  const grant = decided.grant.grant;
  if (!decision.anyPermitted) {
    await record(ctx, req, decided, [entryFor(req, now, target, decision, null, grant)]);
    return decided.grantMissing ? { kind: 'break-glass-reason-required' } : { kind: 'not-found' };
  }
  // A redirect tells the caller the survivor's reference, so it is given only to a caller who may see the survivor.
  if (!('view' in found)) return { kind: 'redirect', to: target };
  const view = filterView(found.view, decision);
  await record(ctx, req, decided, [entryFor(req, now, target, decision, view, grant)]);
  return { kind: 'ok', value: view };
}

export interface DisclosedList {
  /** How many citizens the caller may see among all matches; hidden people are never counted. */
  count: number;
  citizens: CitizenView[];
}

/**
 * Several citizens (search results, occupants of a property), best first.
 * Citizens the caller may see nothing of are dropped before counting and
 * paging; each is still audited as a denial.
 */
export async function discloseMany(
  ctx: DisclosureContext,
  req: DisclosureRequest,
  candidates: readonly string[],
  page: { offset: number; limit: number },
): Promise<Outcome<DisclosedList>> {
  const now = ctx.clock();
  const refs = [...new Set(candidates)];
  const decided = await decideAll(ctx, req, refs, now);
  const grant = decided.grant.grant;
  const entries: StoredEntry[] = [];
  const visible = refs.filter((ref) => decided.decisions.get(ref)!.anyPermitted);
  for (const ref of refs) {
    const decision = decided.decisions.get(ref)!;
    if (!decision.anyPermitted) entries.push(entryFor(req, now, ref, decision, null, grant));
  }
  if (decided.grantMissing) {
    await record(ctx, req, decided, entries.length ? entries : [nothingFound(req, now)]);
    return { kind: 'break-glass-reason-required' };
  }
  const citizens: CitizenView[] = [];
  for (const ref of visible.slice(page.offset, page.offset + page.limit)) {
    const found = await ctx.source.view(ref);
    if (found === null || !('view' in found)) continue;
    const view = filterView(found.view, decided.decisions.get(ref)!);
    citizens.push(view);
    entries.push(entryFor(req, now, ref, decided.decisions.get(ref)!, view, grant));
  }
  await record(ctx, req, decided, entries.length ? entries : [nothingFound(req, now)]);
  return { kind: 'ok', value: { count: visible.length, citizens } };
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
