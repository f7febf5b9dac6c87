import { describe, expect, it } from 'vitest';
import { DATA_CATEGORIES } from '../../../schemas/categories.js';
import { decide } from '../../../src/policy/decide.js';
import { explainAccess } from '../../../src/policy/explain.js';
import { agreement, COUNCIL, emergencyAgreement, input, NOW } from './register-fixtures.js';

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
      reason: 'values do not name their source system, and linked records are not listed, since social-care, concessions are not permitted: naming some systems and not others would tell where the rest came from',
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
    const explanation = explainAccess(input({ purpose: 'emergency', agreements: [], caller: { clientId: 7, orgId: COUNCIL, role: 'admin' } }));
    expect(explanation.summary).toBe('nothing permitted: role admin may not use break-glass; flagged for review');
    expect(explanation.reviewRequired).toBe(true);
  });

  it('explains for emergency what a read with a reason would open, as decide does with a grant, and under which agreement', () => {
    const request = input({ purpose: 'emergency', agreements: [emergencyAgreement()] });
    const explanation = explainAccess(request, [{ clientId: 9, grantedAt: NOW.toISOString(), expiresAt: NOW.toISOString() }]);
    const decision = decide({ ...request, breakGlass: { reason: 'caller reports a fall at home', grantedAt: NOW.toISOString() } });
    expect(explanation.categories.filter((c) => c.permit).map((c) => c.category)).toEqual(decision.permitted);
    expect(explanation.summary).toMatch(/^5 of 11 categories permitted under break-glass \(identity, contact, address, health-disability, safeguarding\) by agreement ISA-BG-1 v1, only with a written reason/);
    expect(explanation.categories.find((c) => c.category === 'identity')).toMatchObject({ agreementId: 'ISA-BG-1', reason: expect.stringMatching(/^break-glass under agreement ISA-BG-1 v1, only with a written reason/) });
    expect(explanation.agreements).toEqual([{ id: 'ISA-BG-1', version: 1, counts: true, reason: 'agreement ISA-BG-1 v1 is in force for this organisation, role and purpose' }]);
    expect(explanation.summary).toMatch(/a client of this organisation in this role holds a live grant/);
    expect(explanation.breakGlass).toMatchObject({ reasonMinLength: 10, minutes: 60, liveGrants: [{ clientId: 9 }] });
  });

  it('explains for emergency that no agreement allows break-glass, or why the one there is does not', () => {
    const none = explainAccess(input({ purpose: 'emergency', agreements: [agreement()] }));
    expect(none.summary).toBe('nothing permitted: no sharing agreement in force allows break-glass (purpose emergency) to this organisation; flagged for review');
    expect(none.agreements).toEqual([{ id: 'ISA-INTERNAL-1', version: 1, counts: false, reason: 'agreement ISA-INTERNAL-1 v1 does not cover purpose emergency' }]);
    const suspended = explainAccess(input({ purpose: 'emergency', agreements: [emergencyAgreement({ status: 'suspended' })] }));
    expect(suspended.summary).toBe('nothing permitted: no sharing agreement in force allows break-glass (purpose emergency) to this organisation: agreement ISA-BG-1 v1 is suspended; flagged for review');
  });
});
