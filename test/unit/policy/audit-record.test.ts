import { describe, expect, it } from 'vitest';
import type { CitizenView } from '../../../schemas/citizen-view.js';
import { canonicalJson, contentHash, sealsAfter, verifySeals } from '../../../src/audit/chain.js';
import { auditRecord } from '../../../src/policy/audit-record.js';
import { decide } from '../../../src/policy/decide.js';
import { filterView } from '../../../src/policy/filter.js';
import { agreement, CITIZEN, consent, emergencyAgreement, input, NHS, NOW } from './register-fixtures.js';

const source = { system: 'revenues', sourceRef: 'CT-1', asOf: '2026-05-01T00:00:00Z', verified: true };
const view: CitizenView = {
  ref: CITIZEN,
  contact: [{ contact: { kind: 'email', value: 'tester@example.invalid', raw: 'Tester@example.invalid', valid: true, use: null }, source }],
  household: [{ citizenRef: 'CH-0000-0009', name: 'T TESTER' }],
  withheld: [],
};

/** An NHS partner's read under a consent-based agreement for contact, address and household (a household needs the address). */
const partnerRead = () => input({
  caller: { clientId: 11, orgId: NHS, role: 'partner' },
  purpose: 'direct-service-delivery',
  agreements: [
    agreement({ id: 'ISA-NHS', version: 2, parties: { provider: { orgId: 1 }, recipients: [NHS] }, purposes: ['direct-service-delivery'], lawfulBasis: 'consent', categories: ['contact', 'address', 'household'] }),
  ],
  citizen: { ref: CITIZEN, consents: [consent()], objections: [], restrictions: [] },
});

describe('auditRecord', () => {
  it('records the agreements, consent, categories and fields of a partial disclosure', () => {
    const request = partnerRead();
    const decision = decide(request);
    const sent = filterView(view, decision);
    const entry = auditRecord({ at: NOW, requestId: 'req-1', action: 'citizen.read', caller: request.caller, purpose: request.purpose, citizenRef: CITIZEN, decision, view: sent, breakGlass: null });
    expect(entry).toMatchObject({
      at: '2026-06-15T10:00:00.000Z',
      clientId: 11,
      orgId: NHS,
      agreements: [{ id: 'ISA-NHS', version: 2 }],
      consentIds: ['CON-1'],
      categoriesDisclosed: ['contact', 'household'],
      decision: 'partial',
      breakGlassReason: null,
      reviewRequired: false,
    });
    expect(entry.categoriesDenied).toHaveLength(8);
    expect(entry.reasons.identity).toMatch(/no sharing agreement/);
    expect(entry.reasons.contact).toBeUndefined();
    expect(entry.fieldsDisclosed).toContain('household[].name');
    const [seal] = sealsAfter(null, [{ auditSeq: 1, entryHash: contentHash({ ...entry, seq: 1 }) }]);
    expect(verifySeals([{ ...seal!, row: { prevHash: null, hash: seal!.entryHash, entry } }])).toEqual({ ok: true, count: 1 });
  });

  it('records the household members the view named, sorted, and no such key when it named none', () => {
    const request = partnerRead();
    const decision = decide(request);
    const record = (sent: CitizenView | null) =>
      auditRecord({ at: NOW, requestId: 'req-3', action: 'citizen.read', caller: request.caller, purpose: request.purpose, citizenRef: CITIZEN, decision, view: sent, breakGlass: null });
    const two = filterView({ ...view, household: [{ citizenRef: 'CH-0000-0009', name: 'T TESTER' }, { citizenRef: 'CH-0000-0002', name: 'A TESTER' }] }, decision);
    const named = record(two);
    expect(named.householdRefs).toEqual(['CH-0000-0002', 'CH-0000-0009']);
    // Keys in code-unit order, as hashing and the store's "before seq" rule take them.
    const keys = Object.keys(named);
    expect(keys).toEqual([...keys].sort());
    expect(keys.indexOf('householdRefs')).toBe(keys.indexOf('fieldsDisclosed') + 1);
    for (const sent of [filterView({ ...view, household: [] }, decision), null]) {
      const none = record(sent);
      expect(Object.keys(none)).not.toContain('householdRefs');
      // So its text, and hash, are those of an entry made before householdRefs existed.
      expect(canonicalJson(none)).not.toContain('householdRefs');
    }
  });

  it('records a denied break-glass attempt with its reason', () => {
    const breakGlass = { reason: 'welfare check', grantedAt: '2026-06-15T07:00:00Z' };
    const request = input({ purpose: 'emergency', agreements: [], breakGlass });
    const entry = auditRecord({ at: NOW, requestId: 'req-2', action: 'citizen.read', caller: request.caller, purpose: 'emergency', citizenRef: CITIZEN, decision: decide(request), view: null, breakGlass });
    expect(entry).toMatchObject({ decision: 'deny', breakGlassReason: 'welfare check', reviewRequired: true, fieldsDisclosed: [], categoriesDisclosed: [] });
  });

  it('names the agreement that allowed a break-glass read, as any other read names its agreement', () => {
    const breakGlass = { reason: 'welfare check after a fall', grantedAt: '2026-06-15T09:50:00Z' };
    const request = input({ purpose: 'emergency', agreements: [emergencyAgreement({ version: 3 })], breakGlass });
    const decision = decide(request);
    const entry = auditRecord({ at: NOW, requestId: 'req-4', action: 'citizen.read', caller: request.caller, purpose: 'emergency', citizenRef: CITIZEN, decision, view: filterView(view, decision), breakGlass });
    expect(entry).toMatchObject({ decision: 'partial', agreements: [{ id: 'ISA-BG-1', version: 3 }], breakGlassReason: 'welfare check after a fall', reviewRequired: true });
  });
});
