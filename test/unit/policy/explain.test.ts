import { describe, expect, it } from 'vitest';
import { DATA_CATEGORIES } from '../../../schemas/categories.js';
import { decide } from '../../../src/policy/decide.js';
import { explainAccess } from '../../../src/policy/explain.js';
import { agreement, input, NOW } from './register-fixtures.js';

describe('explainAccess', () => {
  it('gives the same verdicts as decide, per category, marking special categories', () => {
    const request = input({ agreements: [agreement({ categories: ['identity', 'social-care'] })] });
    const explanation = explainAccess(request);
    const decision = decide(request);
    expect(explanation.categories.map((c) => c.category)).toEqual([...DATA_CATEGORIES]);
    for (const c of explanation.categories) expect(c.permit).toBe(decision.categories[c.category].permit);
    expect(explanation.categories.find((c) => c.category === 'social-care')).toMatchObject({ special: true, permit: false });
    expect(explanation.summary).toMatch(/^1 of 11 categories permitted \(identity\); 10 denied$/);
    expect(explanation.at).toBe(NOW.toISOString());
  });

  it('says whether values would name their source systems, and which categories keep them from it', () => {
    const partial = explainAccess(input({ agreements: [agreement({ categories: ['identity', 'revenues', 'housing', 'service-involvement'] })] }));
    expect(partial.sourceSystems).toEqual({
      named: false,
      reason: 'values do not name their source system, since social-care, concessions are not permitted: naming some systems and not others would tell where the rest came from',
    });
    const all = explainAccess(input({
      agreements: [agreement({ categories: ['identity', 'revenues', 'housing', 'social-care', 'concessions', 'service-involvement'], art9Condition: { condition: 'h', text: 'care' } })],
    }));
    expect(all.sourceSystems.named).toBe(true);
  });

  it('says why each agreement did or did not apply', () => {
    const explanation = explainAccess(
      input({ agreements: [agreement({ id: 'ISA-B', status: 'suspended' }), agreement({ id: 'ISA-A', purposes: ['fraud-prevention'] }), agreement({ id: 'ISA-C' })] }),
    );
    expect(explanation.agreements).toEqual([
      { id: 'ISA-A', version: 1, counts: false, reason: 'agreement ISA-A v1 does not cover purpose contact-centre-enquiry' },
      { id: 'ISA-B', version: 1, counts: false, reason: 'agreement ISA-B v1 is suspended' },
      { id: 'ISA-C', version: 1, counts: true, reason: 'agreement ISA-C v1 is in force for this organisation, role and purpose' },
    ]);
  });

  it('states a single reason when nothing is permitted for one reason', () => {
    const explanation = explainAccess(input({ purpose: 'emergency', agreements: [] }));
    expect(explanation.summary).toBe('nothing permitted: break-glass requires a written reason; flagged for review');
    expect(explanation.reviewRequired).toBe(true);
  });
});
