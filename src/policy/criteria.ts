/**
 * What a search's criteria disclose. A match tells the caller that the person
 * found has the phone number, email address, address or card searched for,
 * even though the view shown may leave that section out; so a citizen
 * matches only when the caller may see every category the criteria test,
 * and a citizen who fails is treated as one the caller may see nothing of.
 */
import { categoryOfSystem, DATA_CATEGORIES, type DataCategory } from '../../schemas/categories.js';
import type { CitizenSearch } from '../citizens/source.js';
import type { CategoryDecision, Decision } from './decide.js';

/** Each criterion's category: where the value it tests sits in the citizen view. Every criterion must have one. */
export const CATEGORY_OF_CRITERION = {
  surname: 'identity',
  forename: 'identity',
  dob: 'identity',
  nhsNumber: 'identity',
  nino: 'identity',
  phone: 'contact',
  email: 'contact',
  postcode: 'address',
  uprn: 'address',
  // A card number is the smartcard system's reference for its record: holding one is that system's data.
  cardNumber: categoryOfSystem('smartcard'),
} as const satisfies Record<keyof CitizenSearch, DataCategory>;

/** The listing of a property's occupants tests where people live. */
export const OCCUPANTS_TEST: readonly DataCategory[] = ['address'];

/** The categories the given criteria test, in category order. */
export function categoriesTested(criteria: CitizenSearch): DataCategory[] {
  const tested = new Set<DataCategory>();
  for (const key of Object.keys(CATEGORY_OF_CRITERION) as (keyof CitizenSearch)[]) {
    if (criteria[key] !== undefined) tested.add(CATEGORY_OF_CRITERION[key]);
  }
  return DATA_CATEGORIES.filter((c) => tested.has(c));
}

/**
 * The decision as it stands for a match on criteria testing `tested`: the
 * same decision when every tested category is permitted; otherwise one that
 * permits nothing, so that the citizen is neither listed nor counted and is
 * audited as a denial like any citizen the caller may see nothing of.
 */
export function withCriteria(decision: Decision, tested: readonly DataCategory[]): Decision {
  const missing = tested.filter((c) => !decision.categories[c].permit);
  if (missing.length === 0) return decision;
  const reason = `the search tests ${missing.join(', ')}, which this caller may not see`;
  const categories = {} as Record<DataCategory, CategoryDecision>;
  for (const category of DATA_CATEGORIES) {
    const own = decision.categories[category];
    categories[category] = own.permit ? { permit: false, reason } : own;
  }
  return { categories, permitted: [], anyPermitted: false, reviewRequired: decision.reviewRequired, policyVersion: decision.policyVersion };
}
