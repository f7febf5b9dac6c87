/**
 * The DPO's access explanation: the same engine as every read, laid out for a
 * person — why each category would be permitted or denied, and why each
 * agreement did or did not apply. For the emergency purpose, what a read with
 * a written reason (break-glass) would open, and under which agreement.
 */
import { DATA_CATEGORIES, SPECIAL_CATEGORIES, systemCategories, type DataCategory } from '../../schemas/categories.js';
import {
  assess, BREAK_GLASS_REASON_MIN, EMERGENCY_PURPOSE, type AgreementStanding, type Caller, type CategoryDecision, type DecisionInput, type Decision,
} from './decide.js';
import { namesSystems } from './filter.js';

export interface CategoryExplanation extends CategoryDecision {
  category: DataCategory;
  special: boolean;
}

export interface AccessExplanation {
  policyVersion: string;
  caller: Caller;
  purpose: string;
  /** ISO 8601 time the explanation was computed for. */
  at: string;
  summary: string;
  reviewRequired: boolean;
  categories: CategoryExplanation[];
  agreements: AgreementStanding[];
  /** Whether values would name the source system they came from, and why. */
  sourceSystems: { named: boolean; reason: string };
  /** For the emergency purpose: what break-glass asks of a read, and the grants already live for this citizen. */
  breakGlass?: BreakGlassExplanation;
}

/** A live grant for the citizen, held by a client of the organisation (never its reason, which the audit trail holds). */
export interface GrantHeld {
  clientId: number;
  grantedAt: string;
  expiresAt: string;
}

export interface BreakGlassExplanation {
  /** Every read of the citizen needs a reason, except by a client within a grant it holds for this citizen. */
  reasonMinLength: number;
  /** How long a grant lasts. */
  minutes: number;
  /** Grants for this citizen held by clients of the organisation in the role explained; each opens the citizen to its own client only. */
  liveGrants: GrantHeld[];
}

/**
 * `liveGrants`: for the emergency purpose, the break-glass grants the
 * organisation's clients in the role hold for this citizen.
 */
export function explainAccess(input: DecisionInput, liveGrants: readonly GrantHeld[] = []): AccessExplanation {
  if (input.purpose === EMERGENCY_PURPOSE && input.breakGlass === null) return explainBreakGlass(input, liveGrants);
  const { decision, standings } = assess(input);
  const categories = DATA_CATEGORIES.map((category) => ({ category, special: SPECIAL_CATEGORIES.has(category), ...decision.categories[category] }));
  const denied = DATA_CATEGORIES.length - decision.permitted.length;
  const summary = decision.anyPermitted
    ? `${decision.permitted.length} of ${DATA_CATEGORIES.length} categories permitted (${decision.permitted.join(', ')}); ${denied} denied`
    : nothingPermitted(categories);
  return {
    policyVersion: decision.policyVersion,
    caller: input.caller,
    purpose: input.purpose,
    at: input.now.toISOString(),
    summary: decision.reviewRequired ? `${summary}; flagged for review` : summary,
    reviewRequired: decision.reviewRequired,
    categories,
    agreements: standings,
    sourceSystems: sourceSystems(decision),
  };
}

/**
 * Emergency reads are open only to an organisation an agreement in force
 * names for purpose emergency, and only in the break-glass categories it
 * covers, once a reason is given: the explanation is the decision a read with
 * a reason given now would get (no such agreement, a restriction in force, or
 * a role that may not use break-glass denies everything), so that it never
 * says "nothing permitted" of a read that would disclose, and it names the
 * agreement that allows each category.
 */
function explainBreakGlass(input: DecisionInput, liveGrants: readonly GrantHeld[]): AccessExplanation {
  const { decision, standings } = assess({ ...input, breakGlass: { reason: 'explained', grantedAt: input.now.toISOString() } });
  const minutes = input.options.breakGlassMinutes;
  const condition = `only with a written reason for this citizen in X-Break-Glass-Reason (at least ${BREAK_GLASS_REASON_MIN} characters), `
    + `which opens it to that client alone for ${minutes} minutes, flagged for review`;
  const under = (decided: CategoryDecision) => `agreement ${decided.agreementId} v${decided.agreementVersion}`;
  const categories = DATA_CATEGORIES.map((category) => {
    const decided = decision.categories[category];
    return { category, special: SPECIAL_CATEGORIES.has(category), ...decided, ...(decided.permit ? { reason: `break-glass under ${under(decided)}, ${condition}` } : {}) };
  });
  const allowing = [...new Set(decision.permitted.map((c) => under(decision.categories[c])))];
  const denied = DATA_CATEGORIES.length - decision.permitted.length;
  const held = liveGrants.length === 0 ? ''
    : `; ${liveGrants.length === 1 ? 'a client of this organisation in this role holds' : `${liveGrants.length} clients of this organisation in this role hold`}`
      + ' a live grant for this citizen';
  const summary = decision.anyPermitted
    ? `${decision.permitted.length} of ${DATA_CATEGORIES.length} categories permitted under break-glass (${decision.permitted.join(', ')}) `
      + `by ${allowing.join(', ')}, ${condition}; ${denied} denied${held}`
    : `${nothingPermitted(categories)}; flagged for review`;
  return {
    policyVersion: decision.policyVersion,
    caller: input.caller,
    purpose: input.purpose,
    at: input.now.toISOString(),
    summary,
    reviewRequired: true,
    categories,
    agreements: standings,
    sourceSystems: sourceSystems(decision),
    breakGlass: { reasonMinLength: BREAK_GLASS_REASON_MIN, minutes, liveGrants: [...liveGrants] },
  };
}

function sourceSystems(decision: Decision): AccessExplanation['sourceSystems'] {
  const permitted = new Set<string>(decision.permitted);
  if (namesSystems(permitted)) {
    return { named: true, reason: `every category a source system's name can disclose is permitted (${systemCategories().join(', ')}): values name their source system and linked records are listed` };
  }
  const missing = systemCategories().filter((c) => !permitted.has(c));
  return {
    named: false,
    reason: `values do not name their source system, and linked records are not listed, since ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not permitted: naming some systems and not others would tell where the rest came from`,
  };
}

function nothingPermitted(categories: CategoryExplanation[]): string {
  const reasons = new Set(categories.map((c) => c.reason));
  const [only] = reasons;
  return reasons.size === 1 && only !== undefined ? `nothing permitted: ${only}` : 'nothing permitted; the reasons differ by category';
}
