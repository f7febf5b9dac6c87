import { describe, expect, it } from 'vitest';
import { DATA_CATEGORIES } from '../../../schemas/categories.js';
import { categoriesTested, withCriteria } from '../../../src/policy/criteria.js';
import { decide, permittedOfAnyone } from '../../../src/policy/decide.js';
import { agreement, CITIZEN, consent, COUNCIL, emergencyAgreement, input, NOW, objection, restriction } from './register-fixtures.js';

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

describe('permittedOfAnyone', () => {
  const health = agreement({ id: 'ISA-H', categories: ['health-disability', 'social-care'], art9Condition: { condition: 'h', text: 'health or social care' } });
  const cases = {
    'no agreement': [],
    'public task': [agreement()],
    'consent-based': [agreement({ lawfulBasis: 'consent', categories: ['identity', 'revenues'] })],
    'special category without an Art. 9 condition': [agreement({ categories: ['identity', 'health-disability'] })],
    'special category with one': [health],
    suspended: [agreement({ status: 'suspended' })],
    'another purpose': [agreement({ purposes: ['fraud-prevention'] })],
  };
  const citizens = [
    { ref: CITIZEN, consents: [], objections: [], restrictions: [] },
    { ref: CITIZEN, consents: [consent({ purpose: 'contact-centre-enquiry', recipientOrgId: COUNCIL })], objections: [], restrictions: [] },
    { ref: CITIZEN, consents: [], objections: [objection()], restrictions: [] },
    { ref: CITIZEN, consents: [], objections: [], restrictions: [restriction()] },
  ];

  it.each(Object.entries(cases))('holds every category decided for any citizen, and no more, with %s', (_name, agreements) => {
    const open = new Set(permittedOfAnyone({ ...input({ agreements }), breakGlass: null }));
    const decided = new Set(citizens.flatMap((citizen) => decide(input({ agreements, citizen })).permitted));
    expect(open).toEqual(decided);
  });

  it('is what break-glass opens under a grant, and nothing without one or for an unknown purpose', () => {
    const grant = { reason: 'welfare check', grantedAt: NOW.toISOString() };
    const agreements = [emergencyAgreement({ categories: ['identity', 'address', 'health-disability'], art9Condition: null })];
    expect(permittedOfAnyone({ ...input({ purpose: 'emergency', agreements }), breakGlass: grant })).toEqual(['identity', 'address']);
    expect(permittedOfAnyone({ ...input({ purpose: 'emergency', agreements }), breakGlass: grant })).toEqual(decide(input({ purpose: 'emergency', agreements, breakGlass: grant })).permitted);
    expect(permittedOfAnyone({ ...input({ purpose: 'emergency', agreements }), breakGlass: null })).toEqual([]);
    expect(permittedOfAnyone({ ...input({ purpose: 'emergency' }), breakGlass: grant })).toEqual([]);
    expect(permittedOfAnyone({ ...input({ purpose: 'curiosity', agreements: [agreement({ purposes: ['curiosity'] })] }) })).toEqual([]);
  });
});
