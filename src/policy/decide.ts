/**
 * The policy engine: decides, per data category, what one caller may see of
 * one citizen for one purpose. Pure: the register records and the time come
 * in as arguments, so a decision can be replayed and explained later.
 *
 * Deny by default: a category is permitted only when an agreement in force
 * permits it and nothing of the citizen's (restriction, objection, missing
 * consent) stands against it. Reasons never contain personal values; they
 * name register records by id.
 */
import { DATA_CATEGORIES, SPECIAL_CATEGORIES, type DataCategory } from '../../schemas/categories.js';
import type { Consent, Objection, Restriction, SharingAgreement } from '../../schemas/register.js';
import type { Role } from '../../schemas/roles.js';
import { NON_READER_ROLES, type PolicyOptions } from './options.js';

/**
 * Bump whenever a rule below, in filter.ts or in criteria.ts changes, so audit entries say which rules decided them
 * (1.1.0: provenance names systems only to a caller who may see every system category; 1.2.0: a search or occupants
 * list matches only citizens of whom the caller may see every category its criteria test; 1.3.0: an agreement naming
 * admin, dpo, steward or source-system permits them nothing; 1.4.0: household needs the citizen's own address, a member is
 * named only with their identity and address, an entitlement that reveals a health condition is health-disability and
 * needs its scheme's category too, linked records are listed only where systems are named, and a break-glass grant opens
 * only the citizen it was given for; 1.5.0: break-glass only for an organisation an agreement in force names for purpose
 * emergency, opening the break-glass categories that agreement covers, special ones only under its Art. 9 condition; 1.6.0: an
 * entitlement held by social care is social-care data whatever its kind).
 */
export const POLICY_VERSION = '1.6.0';

export const EMERGENCY_PURPOSE = 'emergency';
/** What break-glass opens: enough to find, reach and protect the person, nothing about money or services. */
export const BREAK_GLASS_CATEGORIES: readonly DataCategory[] = ['identity', 'contact', 'address', 'health-disability', 'safeguarding'];
/** The shortest break-glass reason taken ("welfare check" is 13): "x" or "urgent" tells a reviewer nothing. */
export const BREAK_GLASS_REASON_MIN = 10;

export interface Caller {
  clientId: number;
  orgId: number;
  role: Role;
}

export interface BreakGlass {
  reason: string;
  /** ISO 8601 date-time. */
  grantedAt: string;
}

/** The register records of the one citizen asked about. */
export interface CitizenRegister {
  ref: string;
  consents: readonly Consent[];
  objections: readonly Objection[];
  restrictions: readonly Restriction[];
}

export interface DecisionInput {
  caller: Caller;
  purpose: string;
  citizen: CitizenRegister;
  /** Agreements that may concern the caller's organisation; the engine checks each anyway. */
  agreements: readonly SharingAgreement[];
  breakGlass: BreakGlass | null;
  options: PolicyOptions;
  now: Date;
}

export interface CategoryDecision {
  permit: boolean;
  reason: string;
  agreementId?: string;
  agreementVersion?: number;
  consentId?: string;
}

export interface Decision {
  categories: Record<DataCategory, CategoryDecision>;
  permitted: DataCategory[];
  anyPermitted: boolean;
  reviewRequired: boolean;
  policyVersion: string;
}

/** Whether one agreement applies to this request at all, before looking at categories. */
export interface AgreementStanding {
  id: string;
  version: number;
  counts: boolean;
  reason: string;
}

export function decide(input: DecisionInput): Decision {
  return assess(input).decision;
}

/**
 * For a citizen with no consent, objection or restriction, what the decision
 * depends on besides the agreements and the options: the caller's
 * organisation and role, the purpose, and the date in London (agreements
 * start and end on dates; nothing else of `now` counts without records).
 * Decisions for such citizens may be shared under this key, for the same
 * agreements and options. Null for break-glass, whose decision depends on
 * its grant.
 */
export function recordlessDecisionKey(caller: Caller, purpose: string, now: Date): string | null {
  if (purpose === EMERGENCY_PURPOSE) return null;
  return `${caller.orgId}\n${caller.role}\n${purpose}\n${londonDate(now)}`;
}

/**
 * The categories the caller could be permitted of anyone for the purpose:
 * what a citizen without restrictions or objections who had consented to
 * everything would be permitted. A citizen's own records only take away from
 * that (consent is the one thing they add, and it is assumed here), so a
 * category outside it is permitted of nobody.
 */
export function permittedOfAnyone(input: Omit<DecisionInput, 'citizen'>): DataCategory[] {
  const decisionInput: DecisionInput = { ...input, citizen: { ref: '', consents: [], objections: [], restrictions: [] } };
  if (!input.options.purposes.includes(input.purpose)) return [];
  if (input.purpose === EMERGENCY_PURPOSE) return breakGlassDecision(decisionInput).permitted;
  const open = new Set<DataCategory>();
  for (const agreement of input.agreements) {
    if (!standingOf(agreement, decisionInput).counts) continue;
    for (const category of agreement.categories) {
      if (!SPECIAL_CATEGORIES.has(category) || agreement.art9Condition !== null) open.add(category);
    }
  }
  if (!open.has('address')) open.delete('household');
  return DATA_CATEGORIES.filter((c) => open.has(c));
}

/** The decision together with the standing of every agreement considered; explainAccess shows both. */
export function assess(input: DecisionInput): { decision: Decision; standings: AgreementStanding[] } {
  const { purpose, options } = input;
  const citizen = ownRecords(input.citizen);

  if (!options.purposes.includes(purpose)) {
    return { decision: denyAll(`unknown purpose "${purpose}"`, false), standings: [] };
  }
  // Checked before break-glass too: the register's restriction is the citizen's
  // right under Art. 18 and this engine has no ground to override it.
  const restriction = citizen.restrictions.find((r) => restrictionInForce(r, input.now));
  if (restriction) {
    return {
      decision: denyAll(`restriction of processing ${restriction.id} is in force`, purpose === EMERGENCY_PURPOSE),
      standings: [],
    };
  }
  const agreements = [...input.agreements].sort((a, b) => (a.id === b.id ? b.version - a.version : a.id < b.id ? -1 : 1));
  const ranked = agreements.map((a) => standingOf(a, input));
  const standings = ranked.map(({ rank: _rank, ...standing }) => standing);
  if (purpose === EMERGENCY_PURPOSE) return { decision: breakGlassDecision(input), standings };

  const best = new Map<DataCategory, Outcome>();
  agreements.forEach((agreement, i) => {
    const standing = ranked[i]!;
    for (const category of agreement.categories) {
      const outcome: Outcome = standing.counts
        ? categoryOutcome(agreement, category, input, citizen)
        : { permit: false, reason: standing.reason, rank: standing.rank };
      const current = best.get(category);
      if (!current || better(outcome, current)) best.set(category, outcome);
    }
  });

  const categories = {} as Record<DataCategory, CategoryDecision>;
  for (const category of DATA_CATEGORIES) {
    const outcome = best.get(category);
    categories[category] = !outcome || (!outcome.permit && outcome.rank <= RANK.notApplicable)
      ? { permit: false, reason: `no sharing agreement in force permits ${category} to this organisation for ${purpose}` }
      : withoutRank(outcome);
  }
  return { decision: finish(categories, false), standings };
}

type Outcome = CategoryDecision & { rank: number };

/** How far a candidate got; the furthest denial is the most useful reason to give. */
const RANK = { notApplicable: 1, notInForce: 2, role: 3, art9: 4, consent: 5, objection: 6, permit: 7 } as const;

function better(candidate: Outcome, current: Outcome): boolean {
  if (current.permit) return false;
  return candidate.permit || candidate.rank > current.rank;
}

function withoutRank(outcome: Outcome): CategoryDecision {
  const { rank: _rank, ...decision } = outcome;
  return decision;
}

function ownRecords(citizen: CitizenRegister): CitizenRegister {
  // Records of anyone else are ignored, whatever the caller's query returned.
  const mine = <T extends { citizenRef: string }>(records: readonly T[]) => records.filter((r) => r.citizenRef === citizen.ref);
  return { ref: citizen.ref, consents: mine(citizen.consents), objections: mine(citizen.objections), restrictions: mine(citizen.restrictions) };
}

/** Whether the role–purpose table lets the role use the purpose (an agreement naming roles decides for itself). */
const purposeOfRole = (options: PolicyOptions, role: Caller['role'], purpose: string): boolean => (options.rolePurposes[role] ?? []).includes(purpose);

/** Whether an agreement's roles admit the role: only a role that reads citizen data at all can be admitted (NON_READER_ROLES). */
const agreementAdmits = (agreement: SharingAgreement, role: Caller['role']): boolean =>
  (agreement.roles ?? []).includes(role) && !NON_READER_ROLES.includes(role);

/**
 * Whether a caller of this organisation and role could ever be permitted
 * anything for the purpose, whatever the dates and status of agreements: the
 * role–purpose table lets the role use it, or an agreement naming the
 * organisation as a recipient and the purpose names the role, one that
 * reads citizen data (standingOf's role rule). When neither holds, every decision for it denies everything.
 */
export function roleMayUse(caller: Pick<Caller, 'orgId' | 'role'>, purpose: string, agreements: readonly SharingAgreement[], options: PolicyOptions): boolean {
  if (purposeOfRole(options, caller.role, purpose)) return true;
  return agreements.some((a) => a.parties.recipients.includes(caller.orgId) && a.purposes.includes(purpose) && agreementAdmits(a, caller.role));
}

function standingOf(agreement: SharingAgreement, input: DecisionInput): AgreementStanding & { rank: number } {
  const { caller, purpose } = input;
  const name = `agreement ${agreement.id} v${agreement.version}`;
  const standing = (rank: number, reason: string) => ({ id: agreement.id, version: agreement.version, counts: rank === RANK.permit, reason, rank });
  if (!agreement.parties.recipients.includes(caller.orgId)) return standing(RANK.notApplicable, `${name} does not name this organisation as a recipient`);
  if (!agreement.purposes.includes(purpose)) return standing(RANK.notApplicable, `${name} does not cover purpose ${purpose}`);
  if (agreement.status !== 'active') return standing(RANK.notInForce, `${name} is ${agreement.status}`);
  const today = londonDate(input.now);
  if (today < agreement.startDate) return standing(RANK.notInForce, `${name} starts on ${agreement.startDate}`);
  if (agreement.endDate !== null && today > agreement.endDate) return standing(RANK.notInForce, `${name} ended on ${agreement.endDate}`);
  if (agreement.roles !== null) {
    if (!agreement.roles.includes(caller.role)) return standing(RANK.role, `${name} is not for role ${caller.role}`);
    if (!agreementAdmits(agreement, caller.role)) return standing(RANK.role, `role ${caller.role} reads no citizen data, whatever ${name} names`);
  } else if (!purposeOfRole(input.options, caller.role, purpose)) {
    return standing(RANK.role, `role ${caller.role} may not use purpose ${purpose} and ${name} does not name the role`);
  }
  return standing(RANK.permit, `${name} is in force for this organisation, role and purpose`);
}

function categoryOutcome(agreement: SharingAgreement, category: DataCategory, input: DecisionInput, citizen: CitizenRegister): Outcome {
  const name = `agreement ${agreement.id} v${agreement.version}`;
  const cites = { agreementId: agreement.id, agreementVersion: agreement.version };
  if (SPECIAL_CATEGORIES.has(category) && agreement.art9Condition === null) {
    return { permit: false, reason: `${category} is a special category and ${name} has no Art. 9 condition`, rank: RANK.art9, ...cites };
  }
  let consentId: string | undefined;
  if (agreement.lawfulBasis === 'consent') {
    const consent = consentFor(citizen.consents, input);
    if (!consent.ok) return { permit: false, reason: `${name} relies on consent and ${consent.why}`, rank: RANK.consent, ...cites };
    consentId = consent.id;
  }
  // Rule chosen for objections: an objection (to this purpose or to all, by
  // this recipient or all) denies unless the agreement's basis is a legal
  // obligation or vital interests. Art. 21 itself reaches public task and
  // legitimate interests; the hub also honours it against consent (an
  // objection is at least a withdrawal) and contract, so that a citizen's
  // recorded wish is never silently outweighed by this engine. A DPO who finds
  // compelling grounds ends the objection in the register instead.
  if (agreement.lawfulBasis !== 'legal-obligation' && agreement.lawfulBasis !== 'vital-interests') {
    const objection = citizen.objections.find((o) => objectionApplies(o, input));
    if (objection) return { permit: false, reason: `objection ${objection.id} stands against ${name}`, rank: RANK.objection, ...cites };
  }
  const basis = consentId === undefined ? agreement.lawfulBasis : `consent ${consentId}`;
  return {
    permit: true,
    reason: `permitted by ${name} (${basis})`,
    rank: RANK.permit,
    ...cites,
    ...(consentId === undefined ? {} : { consentId }),
  };
}

function consentFor(consents: readonly Consent[], input: DecisionInput): { ok: true; id: string } | { ok: false; why: string } {
  const now = input.now.getTime();
  const relevant = consents.filter(
    (c) => c.purpose === input.purpose && (c.recipientOrgId === null || c.recipientOrgId === input.caller.orgId),
  );
  // Inclusive tests: a timestamp that does not parse never makes a consent valid.
  const active = relevant.find(
    (c) => Date.parse(c.from) <= now && (c.to === null || now < Date.parse(c.to)) && (c.withdrawnAt === null || now < Date.parse(c.withdrawnAt)),
  );
  if (active) return { ok: true, id: active.id };
  const withdrawn = relevant.find((c) => c.withdrawnAt !== null && Date.parse(c.withdrawnAt) <= now);
  if (withdrawn) return { ok: false, why: `consent ${withdrawn.id} was withdrawn` };
  const ended = relevant.find((c) => c.to !== null && Date.parse(c.to) <= now);
  if (ended) return { ok: false, why: `consent ${ended.id} has ended` };
  return { ok: false, why: 'the citizen has given no consent in force for this purpose and recipient' };
}

// Exclusive tests for objections and restrictions: a timestamp that does not
// parse leaves them in force (fail closed).
function objectionApplies(o: Objection, input: DecisionInput): boolean {
  const now = input.now.getTime();
  if (o.purpose !== null && o.purpose !== input.purpose) return false;
  if (o.recipientOrgId !== null && o.recipientOrgId !== input.caller.orgId) return false;
  return !(now < Date.parse(o.from)) && !(o.withdrawnAt !== null && Date.parse(o.withdrawnAt) <= now);
}

function restrictionInForce(r: Restriction, now: Date): boolean {
  const t = now.getTime();
  return !(t < Date.parse(r.from)) && !(r.to !== null && Date.parse(r.to) <= t) && !(r.liftedAt !== null && Date.parse(r.liftedAt) <= t);
}

/**
 * Break-glass: the DPO decides in the register who may break the glass, by
 * an agreement naming the organisation as a recipient for purpose emergency
 * (its gateway typically vital interests, Art. 6(1)(d), and for special
 * categories an Art. 9 condition such as 9(2)(c)); its roles, if it names
 * any, apply as for every purpose. It opens the break-glass categories the
 * agreement covers, a special category only under its Art. 9 condition.
 * Consents and objections do not reach it (vital interests); a restriction
 * does (assess). Each read needs a written reason and a live grant, and
 * every attempt, granted or not, is flagged for review.
 */
function breakGlassDecision(input: DecisionInput): Decision {
  const { caller, breakGlass, options, now } = input;
  if (!roleMayUse(caller, EMERGENCY_PURPOSE, input.agreements, options)) {
    return denyAll(`role ${caller.role} may not use break-glass`, true);
  }
  const agreements = [...input.agreements].sort((a, b) => (a.id === b.id ? b.version - a.version : a.id < b.id ? -1 : 1));
  const ranked = agreements.map((a) => ({ agreement: a, standing: standingOf(a, input) }));
  const inForce = ranked.filter((r) => r.standing.counts);
  if (inForce.length === 0) {
    // The furthest an agreement for emergency got says most (suspended, ended, not for the role); else there is none.
    const furthest = ranked.reduce<(typeof ranked)[number] | undefined>((best, r) => (r.standing.rank > (best?.standing.rank ?? RANK.notApplicable) ? r : best), undefined);
    const none = `no sharing agreement in force allows break-glass (purpose ${EMERGENCY_PURPOSE}) to this organisation`;
    return denyAll(furthest ? `${none}: ${furthest.standing.reason}` : none, true);
  }
  if (breakGlass === null || breakGlass.reason.trim() === '') return denyAll('break-glass requires a written reason', true);
  const granted = Date.parse(breakGlass.grantedAt);
  if (Number.isNaN(granted) || granted > now.getTime()) return denyAll('break-glass grant time is not valid', true);
  const expires = granted + options.breakGlassMinutes * 60_000;
  if (now.getTime() >= expires) return denyAll(`break-glass expired at ${new Date(expires).toISOString()}`, true);

  const until = `until ${new Date(expires).toISOString()}, flagged for review`;
  const categories = {} as Record<DataCategory, CategoryDecision>;
  for (const category of DATA_CATEGORIES) {
    if (!BREAK_GLASS_CATEGORIES.includes(category)) {
      categories[category] = { permit: false, reason: `${category} is not available under break-glass` };
      continue;
    }
    const covering = inForce.filter((r) => r.agreement.categories.includes(category)).map((r) => r.agreement);
    const permitting = covering.find((a) => !SPECIAL_CATEGORIES.has(category) || a.art9Condition !== null);
    if (permitting) {
      const name = `agreement ${permitting.id} v${permitting.version}`;
      categories[category] = {
        permit: true, reason: `break-glass under ${name} (${permitting.lawfulBasis}) ${until}`, agreementId: permitting.id, agreementVersion: permitting.version,
      };
    } else if (covering[0]) {
      const name = `agreement ${covering[0].id} v${covering[0].version}`;
      categories[category] = {
        permit: false, reason: `${category} is a special category and ${name} has no Art. 9 condition`, agreementId: covering[0].id, agreementVersion: covering[0].version,
      };
    } else {
      categories[category] = { permit: false, reason: `no sharing agreement in force allows break-glass for ${category} to this organisation` };
    }
  }
  return finish(categories, true);
}

function denyAll(reason: string, reviewRequired: boolean): Decision {
  const categories = {} as Record<DataCategory, CategoryDecision>;
  for (const category of DATA_CATEGORIES) categories[category] = { permit: false, reason };
  return finish(categories, reviewRequired);
}

function finish(categories: Record<DataCategory, CategoryDecision>, reviewRequired: boolean): Decision {
  // The household is the people at the citizen's current address: naming them tells where the citizen lives.
  if (categories.household.permit && !categories.address.permit) {
    categories.household = { permit: false, reason: `household is shown only with the citizen's own address, which is not permitted (${categories.address.reason})` };
  }
  const permitted = DATA_CATEGORIES.filter((c) => categories[c].permit);
  return { categories, permitted, anyPermitted: permitted.length > 0, reviewRequired, policyVersion: POLICY_VERSION };
}

const LONDON_DATE = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' });

/** The last date formatted, for the UTC hour it was formatted in. */
let lastLondonDate = { hour: Number.NaN, date: '' };
/** Since 1900 (well before), London's offset from UTC is a whole number of hours, so its date is the same throughout a UTC hour. */
const WHOLE_HOUR_OFFSETS_SINCE = Date.UTC(1900, 0, 1);

/** Agreement dates are UK calendar dates, so "today" is the date in London. */
export function londonDate(now: Date): string {
  const time = now.getTime();
  const hour = Math.floor(time / 3_600_000);
  if (hour === lastLondonDate.hour) return lastLondonDate.date;
  const date = LONDON_DATE.format(now);
  if (time >= WHOLE_HOUR_OFFSETS_SINCE) lastLondonDate = { hour, date };
  return date;
}
