import { describe, expect, it } from 'vitest';
import { DATA_CATEGORIES } from '../../../schemas/categories.js';
import { categoriesTested, withCriteria } from '../../../src/policy/criteria.js';
import { decide } from '../../../src/policy/decide.js';
import { input } from './register-fixtures.js';

describe('search criteria and the categories they test', () => {
  it('names the category of every criterion given', () => {
    expect(categoriesTested({ surname: 'SMITH', dob: '1960-01-01', nhsNumber: '9434765919', nino: 'AB123456C', forename: 'J' })).toEqual(['identity']);
    expect(categoriesTested({ phone: '07700900001' })).toEqual(['contact']);
    expect(categoriesTested({ email: 'a@example.org', surname: 'SMITH' })).toEqual(['identity', 'contact']);
    expect(categoriesTested({ postcode: 'ZZ1 1AA', uprn: 100000001 })).toEqual(['address']);
    expect(categoriesTested({ cardNumber: 'SC1' })).toEqual(['concessions']);
    expect(categoriesTested({ surname: undefined })).toEqual([]);
  });

  it('keeps a decision that permits every category tested, and turns one that does not into a denial of everything', () => {
    const decision = decide(input());
    expect(withCriteria(decision, ['identity', 'contact'])).toBe(decision);
    const denied = withCriteria(decision, ['identity', 'concessions']);
    expect(denied).toMatchObject({ permitted: [], anyPermitted: false, reviewRequired: false, policyVersion: decision.policyVersion });
    for (const category of DATA_CATEGORIES) expect(denied.categories[category].permit).toBe(false);
    expect(denied.categories.identity.reason).toBe('the search tests concessions, which this caller may not see');
    expect(denied.categories.revenues).toEqual(decision.categories.revenues);
  });
});
