/**
 * The DPO's access explanation: the same engine as every read, laid out for a
 * person — why each category would be permitted or denied, and why each
 * agreement did or did not apply.
 */
import { DATA_CATEGORIES, SPECIAL_CATEGORIES, SYSTEM_CATEGORIES, type DataCategory } from '../../schemas/categories.js';
import { assess, type AgreementStanding, type Caller, type CategoryDecision, type DecisionInput, type Decision } from './decide.js';
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
}

export function explainAccess(input: DecisionInput): AccessExplanation {
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

function sourceSystems(decision: Decision): AccessExplanation['sourceSystems'] {
  const permitted = new Set<string>(decision.permitted);
  if (namesSystems(permitted)) return { named: true, reason: `every category a source system's name can disclose is permitted (${SYSTEM_CATEGORIES.join(', ')})` };
  const missing = SYSTEM_CATEGORIES.filter((c) => !permitted.has(c));
  return {
    named: false,
    reason: `values do not name their source system, since ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not permitted: naming some systems and not others would tell where the rest came from`,
  };
}

function nothingPermitted(categories: CategoryExplanation[]): string {
  const reasons = new Set(categories.map((c) => c.reason));
  const [only] = reasons;
  return reasons.size === 1 && only !== undefined ? `nothing permitted: ${only}` : 'nothing permitted; the reasons differ by category';
}
