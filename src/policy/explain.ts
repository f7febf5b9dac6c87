/**
 * The DPO's access explanation: the same engine as every read, laid out for a
 * person — why each category would be permitted or denied, and why each
 * agreement did or did not apply.
 */
import { DATA_CATEGORIES, SPECIAL_CATEGORIES, type DataCategory } from '../../schemas/categories.js';
import { assess, type AgreementStanding, type Caller, type CategoryDecision, type DecisionInput } from './decide.js';

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
  };
}

function nothingPermitted(categories: CategoryExplanation[]): string {
  const reasons = new Set(categories.map((c) => c.reason));
  const [only] = reasons;
  return reasons.size === 1 && only !== undefined ? `nothing permitted: ${only}` : 'nothing permitted; the reasons differ by category';
}
