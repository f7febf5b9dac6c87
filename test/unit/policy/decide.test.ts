import { describe, expect, it } from 'vitest';
import { DATA_CATEGORIES } from '../../../schemas/categories.js';
import type { SharingAgreement } from '../../../schemas/register.js';
import {
  BREAK_GLASS_CATEGORIES, decide, londonDate, permittedOfAnyone, POLICY_VERSION, recordlessDecisionKey, roleMayUse, type Caller,
} from '../../../src/policy/decide.js';
import { policyOptions } from '../../../src/policy/options.js';
import { agreement, CITIZEN, consent, COUNCIL, emergencyAgreement, input, NHS, NOW, objection, POLICE, restriction } from './register-fixtures.js';

const citizen = (records: Partial<ReturnType<typeof input>['citizen']>) => ({ ref: CITIZEN, consents: [], objections: [], restrictions: [], ...records });

describe('decide: agreements', () => {
  it('denies everything by default', () => {
    const decision = decide(input({ agreements: [] }));
    expect(decision.anyPermitted).toBe(false);
    expect(decision.permitted).toEqual([]);
    for (const category of DATA_CATEGORIES) {
      expect(decision.categories[category].permit).toBe(false);
      expect(decision.categories[category].reason).toMatch(/no sharing agreement/);
    }
    expect(decision.policyVersion).toBe(POLICY_VERSION);
    expect(decision.reviewRequired).toBe(false);
  });

  it('permits the listed categories only, citing the agreement', () => {
    const decision = decide(input());
    expect(decision.permitted).toEqual(['identity', 'contact', 'address']);
    expect(decision.categories.identity).toMatchObject({ permit: true, agreementId: 'ISA-INTERNAL-1', agreementVersion: 1 });
    expect(decision.categories.revenues.permit).toBe(false);
  });

  it("permits the household only with the citizen's own address, which it would place them at", () => {
    const withoutAddress = decide(input({ agreements: [agreement({ categories: ['identity', 'household'] })] }));
    expect(withoutAddress.permitted).toEqual(['identity']);
    expect(withoutAddress.categories.household.reason).toMatch(/^household is shown only with the citizen's own address, which is not permitted \(no sharing agreement/);
    expect(permittedOfAnyone({ ...input({ agreements: [agreement({ categories: ['identity', 'household'] })] }), breakGlass: null })).toEqual(['identity']);
    // The address may come from another agreement, as any category may.
    const twoAgreements = decide(input({ agreements: [agreement({ categories: ['identity', 'household'] }), agreement({ id: 'ISA-ADDR', categories: ['address'] })] }));
    expect(twoAgreements.permitted).toEqual(['identity', 'address', 'household']);
  });

  it('council roles need an agreement naming the council as recipient: no internal bypass', () => {
    const forPolice = agreement({ parties: { provider: { orgId: COUNCIL }, recipients: [POLICE] } });
    for (const role of ['adviser', 'caseworker', 'admin', 'dpo'] as const) {
      expect(decide(input({ caller: { clientId: 1, orgId: COUNCIL, role }, agreements: [forPolice] })).anyPermitted).toBe(false);
    }
  });

  it('permits only for the listed purposes and parties', () => {
    expect(decide(input({ purpose: 'fraud-prevention' })).anyPermitted).toBe(false);
    expect(decide(input({ caller: { clientId: 9, orgId: POLICE, role: 'partner' } })).anyPermitted).toBe(false);
  });

  it.each([
    ['draft', {}, /is draft/],
    ['suspended', {}, /is suspended/],
    ['ended', {}, /is ended/],
    ['active', { endDate: '2026-06-14' }, /ended on 2026-06-14/],
    ['active', { startDate: '2026-06-16' }, /starts on 2026-06-16/],
  ] as const)('does not count a %s agreement %j', (status, dates, reason) => {
    const decision = decide(input({ agreements: [agreement({ status, ...dates })] }));
    expect(decision.anyPermitted).toBe(false);
    expect(decision.categories.identity.reason).toMatch(reason);
  });

  it('counts an agreement on its last day, in UK time', () => {
    // 23:30 UTC on 30 June is 00:30 on 1 July in London (BST).
    const lastDay = agreement({ endDate: '2026-06-30' });
    expect(decide(input({ agreements: [lastDay], now: new Date('2026-06-30T22:30:00Z') })).anyPermitted).toBe(true);
    expect(decide(input({ agreements: [lastDay], now: new Date('2026-06-30T23:30:00Z') })).anyPermitted).toBe(false);
  });

  it('uses a permitting agreement when another one does not count', () => {
    const suspended = agreement({ id: 'ISA-A', status: 'suspended' });
    const active = agreement({ id: 'ISA-B', version: 3 });
    const decision = decide(input({ agreements: [suspended, active] }));
    expect(decision.categories.contact).toMatchObject({ permit: true, agreementId: 'ISA-B', agreementVersion: 3 });
  });

  it('denies a special category without an Art. 9 condition, with that reason', () => {
    const withHealth = agreement({ categories: ['identity', 'health-disability'] });
    const decision = decide(input({ agreements: [withHealth] }));
    expect(decision.categories.identity.permit).toBe(true);
    expect(decision.categories['health-disability'].permit).toBe(false);
    expect(decision.categories['health-disability'].reason).toMatch(/special category.*no Art\. 9 condition/);

    const withCondition = agreement({ categories: ['health-disability'], art9Condition: { condition: 'h', text: 'health or social care' } });
    expect(decide(input({ agreements: [withCondition] })).categories['health-disability'].permit).toBe(true);
  });

  it('lets an unknown purpose see nothing', () => {
    const decision = decide(input({ purpose: 'curiosity', agreements: [agreement({ purposes: ['curiosity'] })] }));
    expect(decision.anyPermitted).toBe(false);
    expect(decision.categories.identity.reason).toMatch(/unknown purpose/);
    const configured = decide(input({ purpose: 'curiosity', agreements: [agreement({ purposes: ['curiosity'] })], options: policyOptions({ extraPurposes: ['curiosity'], rolePurposes: { adviser: ['curiosity'] } }) }));
    expect(configured.anyPermitted).toBe(true);
  });
});

describe('decide: roles', () => {
  const partner = { clientId: 9, orgId: POLICE, role: 'partner' as const };
  const policeEnquiries = agreement({ id: 'ISA-POLICE', parties: { provider: { orgId: COUNCIL }, recipients: [POLICE] } });

  it('a partner cannot use contact-centre-enquiry by role alone', () => {
    const decision = decide(input({ caller: partner, agreements: [policeEnquiries] }));
    expect(decision.anyPermitted).toBe(false);
    expect(decision.categories.identity.reason).toMatch(/role partner may not use purpose contact-centre-enquiry/);
  });

  it('unless an agreement names the role', () => {
    expect(decide(input({ caller: partner, agreements: [{ ...policeEnquiries, roles: ['partner'] }] })).permitted).toEqual(['identity', 'contact', 'address']);
  });

  it('an agreement naming roles excludes the others', () => {
    const decision = decide(input({ agreements: [agreement({ roles: ['caseworker'] })] }));
    expect(decision.anyPermitted).toBe(false);
    expect(decision.categories.identity.reason).toMatch(/not for role adviser/);
  });

  it('dpo and admin do not bypass', () => {
    for (const role of ['dpo', 'admin'] as const) {
      expect(decide(input({ caller: { clientId: 2, orgId: COUNCIL, role } })).anyPermitted).toBe(false);
    }
  });

  it('an agreement naming a role that reads no citizen data permits it nothing, nor lets it subscribe', () => {
    const naming = agreement({ roles: ['adviser', 'admin', 'dpo', 'steward', 'source-system'] });
    for (const role of ['admin', 'dpo', 'steward', 'source-system'] as const) {
      const decision = decide(input({ caller: { clientId: 2, orgId: COUNCIL, role }, agreements: [naming] }));
      expect(decision.anyPermitted).toBe(false);
      expect(decision.categories.identity.reason).toBe(`role ${role} reads no citizen data, whatever agreement ISA-INTERNAL-1 v1 names`);
      expect(roleMayUse({ orgId: COUNCIL, role }, 'contact-centre-enquiry', [naming], policyOptions())).toBe(false);
    }
    expect(decide(input({ agreements: [naming] })).permitted).toEqual(['identity', 'contact', 'address']);
    expect(roleMayUse({ orgId: COUNCIL, role: 'partner' }, 'contact-centre-enquiry', [agreement({ roles: ['partner'] })], policyOptions())).toBe(true);
  });
});

describe('decide: consent, objection, restriction', () => {
  const nhsCaller = { clientId: 11, orgId: NHS, role: 'partner' as const };
  const consentBased = agreement({
    id: 'ISA-NHS',
    parties: { provider: { orgId: COUNCIL }, recipients: [NHS] },
    purposes: ['direct-service-delivery'],
    lawfulBasis: 'consent',
  });
  const base = { caller: nhsCaller, purpose: 'direct-service-delivery', agreements: [consentBased] };

  it('consent basis without consent denies', () => {
    const decision = decide(input(base));
    expect(decision.anyPermitted).toBe(false);
    expect(decision.categories.identity.reason).toMatch(/relies on consent and the citizen has given no consent/);
  });

  it('consent basis with consent permits and cites the consent', () => {
    const decision = decide(input({ ...base, citizen: citizen({ consents: [consent()] }) }));
    expect(decision.categories.identity).toMatchObject({ permit: true, agreementId: 'ISA-NHS', consentId: 'CON-1' });
  });

  it('consent to all recipients counts; consent to another recipient or purpose does not', () => {
    expect(decide(input({ ...base, citizen: citizen({ consents: [consent({ recipientOrgId: null })] }) })).anyPermitted).toBe(true);
    expect(decide(input({ ...base, citizen: citizen({ consents: [consent({ recipientOrgId: POLICE })] }) })).anyPermitted).toBe(false);
    expect(decide(input({ ...base, citizen: citizen({ consents: [consent({ purpose: 'safeguarding' })] }) })).anyPermitted).toBe(false);
  });

  it('withdrawn consent denies from the moment of withdrawal', () => {
    const withdrawn = consent({ withdrawnAt: '2026-06-15T09:59:59Z' });
    const decision = decide(input({ ...base, citizen: citizen({ consents: [withdrawn] }) }));
    expect(decision.anyPermitted).toBe(false);
    expect(decision.categories.identity.reason).toMatch(/consent CON-1 was withdrawn/);
    const later = consent({ withdrawnAt: '2026-06-15T10:00:01Z' });
    expect(decide(input({ ...base, citizen: citizen({ consents: [later] }) })).anyPermitted).toBe(true);
  });

  it('ended consent denies', () => {
    const decision = decide(input({ ...base, citizen: citizen({ consents: [consent({ to: '2026-05-01T00:00:00Z' })] }) }));
    expect(decision.categories.identity.reason).toMatch(/consent CON-1 has ended/);
  });

  it("ignores another citizen's records", () => {
    const someoneElses = consent({ citizenRef: 'CH-0000-0002' });
    expect(decide(input({ ...base, citizen: citizen({ consents: [someoneElses] }) })).anyPermitted).toBe(false);
    expect(decide(input({ citizen: citizen({ restrictions: [restriction({ citizenRef: 'CH-0000-0002' })] }) })).anyPermitted).toBe(true);
  });

  it('an objection to the purpose denies under public task', () => {
    const decision = decide(input({ citizen: citizen({ objections: [objection()] }) }));
    expect(decision.anyPermitted).toBe(false);
    expect(decision.categories.identity.reason).toMatch(/objection OBJ-1/);
  });

  it('an objection to all purposes denies; one to another purpose or recipient does not', () => {
    expect(decide(input({ citizen: citizen({ objections: [objection({ purpose: null })] }) })).anyPermitted).toBe(false);
    expect(decide(input({ citizen: citizen({ objections: [objection({ purpose: 'fraud-prevention' })] }) })).anyPermitted).toBe(true);
    expect(decide(input({ citizen: citizen({ objections: [objection({ recipientOrgId: POLICE })] }) })).anyPermitted).toBe(true);
  });

  it('a withdrawn or future objection does not deny', () => {
    expect(decide(input({ citizen: citizen({ objections: [objection({ withdrawnAt: '2026-06-01T00:00:00Z' })] }) })).anyPermitted).toBe(true);
    expect(decide(input({ citizen: citizen({ objections: [objection({ from: '2026-07-01T00:00:00Z' })] }) })).anyPermitted).toBe(true);
  });

  it.each(['legal-obligation', 'vital-interests'] as const)('an objection does not stand against %s', (lawfulBasis) => {
    const decision = decide(input({ agreements: [agreement({ lawfulBasis })], citizen: citizen({ objections: [objection()] }) }));
    expect(decision.permitted).toEqual(['identity', 'contact', 'address']);
  });

  it('an objection stands against consent and contract bases', () => {
    const objecting = citizen({ objections: [objection({ purpose: null })], consents: [consent()] });
    expect(decide(input({ ...base, citizen: objecting })).anyPermitted).toBe(false);
    expect(decide(input({ agreements: [agreement({ lawfulBasis: 'contract' })], citizen: objecting })).anyPermitted).toBe(false);
  });

  it('a restriction denies everything, even a legal obligation', () => {
    const decision = decide(input({ agreements: [agreement({ lawfulBasis: 'legal-obligation' })], citizen: citizen({ restrictions: [restriction()] }) }));
    expect(decision.anyPermitted).toBe(false);
    expect(decision.categories.address.reason).toMatch(/restriction of processing RES-1/);
  });

  it('a lifted or ended restriction no longer denies', () => {
    expect(decide(input({ citizen: citizen({ restrictions: [restriction({ liftedAt: '2026-04-01T00:00:00Z' })] }) })).anyPermitted).toBe(true);
    expect(decide(input({ citizen: citizen({ restrictions: [restriction({ to: '2026-04-01T00:00:00Z' })] }) })).anyPermitted).toBe(true);
  });
});

describe('decide: break-glass', () => {
  const allowing = emergencyAgreement;
  const emergency = { purpose: 'emergency', agreements: [allowing()] };
  const grant = (minutesAgo: number, reason = 'person collapsed at the library, paramedics need GP details') => ({
    reason,
    grantedAt: new Date(NOW.getTime() - minutesAgo * 60_000).toISOString(),
  });

  it('permits the emergency categories with a reason, flagged for review, citing the agreement', () => {
    const decision = decide(input({ ...emergency, breakGlass: grant(5) }));
    expect(decision.permitted).toEqual(BREAK_GLASS_CATEGORIES);
    expect(decision.permitted).toEqual(['identity', 'contact', 'address', 'health-disability', 'safeguarding']);
    expect(decision.categories.identity).toMatchObject({ permit: true, agreementId: 'ISA-BG-1', agreementVersion: 1, reason: expect.stringMatching(/^break-glass under agreement ISA-BG-1 v1 \(vital-interests\)/) });
    expect(decision.categories.revenues.permit).toBe(false);
    expect(decision.reviewRequired).toBe(true);
  });

  it('denies an organisation no agreement names for emergency, whatever its other agreements', () => {
    for (const agreements of [[], [agreement({ categories: [...BREAK_GLASS_CATEGORIES], art9Condition: { condition: 'h', text: 'care' } })], [allowing({ parties: { provider: { orgId: COUNCIL }, recipients: [POLICE] } })]]) {
      const decision = decide(input({ ...emergency, agreements, breakGlass: grant(5) }));
      expect(decision.anyPermitted).toBe(false);
      expect(decision.categories.identity.reason).toBe('no sharing agreement in force allows break-glass (purpose emergency) to this organisation');
      expect(decision.reviewRequired).toBe(true);
      expect(permittedOfAnyone({ ...input({ ...emergency, agreements }), breakGlass: grant(5) })).toEqual([]);
    }
  });

  it('opens only the break-glass categories the agreement covers, a special category only under an Art. 9 condition', () => {
    const narrow = decide(input({ ...emergency, agreements: [allowing({ categories: ['identity', 'address', 'health-disability', 'revenues'], art9Condition: null })], breakGlass: grant(5) }));
    expect(narrow.permitted).toEqual(['identity', 'address']);
    expect(narrow.categories['health-disability'].reason).toBe('health-disability is a special category and agreement ISA-BG-1 v1 has no Art. 9 condition');
    expect(narrow.categories.contact.reason).toBe('no sharing agreement in force allows break-glass for contact to this organisation');
    expect(narrow.categories.revenues.reason).toBe('revenues is not available under break-glass');
    // Two agreements together: each category from one that covers it.
    const two = decide(input({ ...emergency, agreements: [allowing({ categories: ['identity'] }), allowing({ id: 'ISA-BG-2', categories: ['contact', 'health-disability'] })], breakGlass: grant(5) }));
    expect(two.permitted).toEqual(['identity', 'contact', 'health-disability']);
    expect(two.categories.contact.agreementId).toBe('ISA-BG-2');
  });

  it('denies under an agreement not in force, or whose roles leave the caller out', () => {
    for (const [over, why] of [
      [{ status: 'suspended' }, 'is suspended'], [{ status: 'ended' }, 'is ended'], [{ status: 'draft' }, 'is draft'],
      [{ endDate: '2026-06-14' }, 'ended on 2026-06-14'], [{ startDate: '2026-06-16' }, 'starts on 2026-06-16'], [{ roles: ['caseworker'] }, 'is not for role adviser'],
    ] as const) {
      const decision = decide(input({ ...emergency, agreements: [allowing(over as Partial<SharingAgreement>)], breakGlass: grant(5) }));
      expect(decision.anyPermitted).toBe(false);
      expect(decision.categories.identity.reason).toBe(`no sharing agreement in force allows break-glass (purpose emergency) to this organisation: agreement ISA-BG-1 v1 ${why}`);
    }
    // Roles named by the agreement replace the role table, as for any purpose.
    const named = decide(input({ ...emergency, agreements: [allowing({ roles: ['adviser'] })], breakGlass: grant(5), options: policyOptions({ rolePurposes: { adviser: [] } }) }));
    expect(named.permitted).toEqual(BREAK_GLASS_CATEGORIES);
  });

  it('needs no consent, even under an agreement whose basis is consent', () => {
    expect(decide(input({ ...emergency, agreements: [allowing({ lawfulBasis: 'consent' })], breakGlass: grant(5) })).permitted).toEqual(BREAK_GLASS_CATEGORIES);
  });

  it('denies without a reason, and still flags the attempt', () => {
    for (const breakGlass of [null, grant(5, '   ')]) {
      const decision = decide(input({ ...emergency, breakGlass }));
      expect(decision.anyPermitted).toBe(false);
      expect(decision.categories.identity.reason).toMatch(/requires a written reason/);
      expect(decision.reviewRequired).toBe(true);
    }
  });

  it('expires after the configured time', () => {
    expect(decide(input({ ...emergency, breakGlass: grant(59) })).anyPermitted).toBe(true);
    const expired = decide(input({ ...emergency, breakGlass: grant(60) }));
    expect(expired.anyPermitted).toBe(false);
    expect(expired.categories.identity.reason).toMatch(/expired at/);
    expect(decide(input({ ...emergency, breakGlass: grant(100), options: policyOptions({ breakGlassMinutes: 120 }) })).anyPermitted).toBe(true);
  });

  it('rejects a grant in the future', () => {
    expect(decide(input({ ...emergency, breakGlass: grant(-5) })).anyPermitted).toBe(false);
  });

  it('is refused to roles without the emergency purpose', () => {
    const decision = decide(input({ ...emergency, caller: { clientId: 3, orgId: COUNCIL, role: 'admin' }, breakGlass: grant(5) }));
    expect(decision.anyPermitted).toBe(false);
    expect(decision.categories.identity.reason).toMatch(/role admin may not use break-glass/);
  });

  it('gives way to a restriction', () => {
    expect(decide(input({ ...emergency, breakGlass: grant(5), citizen: citizen({ restrictions: [restriction()] }) })).anyPermitted).toBe(false);
  });

  it('is not affected by an objection', () => {
    expect(decide(input({ ...emergency, breakGlass: grant(5), citizen: citizen({ objections: [objection({ purpose: null })] }) })).anyPermitted).toBe(true);
  });

  it('a break-glass grant does nothing for other purposes', () => {
    const decision = decide(input({ agreements: [], breakGlass: grant(5) }));
    expect(decision.anyPermitted).toBe(false);
    expect(decision.reviewRequired).toBe(false);
  });
});

describe('decide: what a decision without citizen records depends on', () => {
  const caller: Caller = { clientId: 7, orgId: COUNCIL, role: 'adviser' };

  it('keys on organisation, role, purpose and the London date, not the time of day; none for break-glass', () => {
    const key = (now: Date, over: Partial<typeof caller> = {}, purpose = 'contact-centre-enquiry') => recordlessDecisionKey({ ...caller, ...over }, purpose, now);
    expect(key(new Date('2026-06-15T00:30:00Z'))).toBe(key(new Date('2026-06-15T22:59:59Z')));
    // Midnight in London in summer is 23:00 UTC.
    expect(key(new Date('2026-06-15T23:00:00Z'))).not.toBe(key(new Date('2026-06-15T22:59:59Z')));
    expect(key(NOW, { clientId: 8 })).toBe(key(NOW));
    expect(key(NOW, { orgId: POLICE })).not.toBe(key(NOW));
    expect(key(NOW, { role: 'caseworker' })).not.toBe(key(NOW));
    expect(key(NOW, {}, 'safeguarding')).not.toBe(key(NOW));
    expect(key(NOW, {}, 'emergency')).toBeNull();
  });

  it('gives the same decision at any time of the same London date, for agreements starting and ending on it too', () => {
    const agreements = [
      agreement(),
      agreement({ id: 'ISA-STARTS', categories: ['revenues'], startDate: '2026-06-15' }),
      agreement({ id: 'ISA-ENDS', categories: ['housing'], endDate: '2026-06-15' }),
      agreement({ id: 'ISA-CONSENT', categories: ['social-care'], lawfulBasis: 'consent' }),
    ];
    const at = (iso: string) => decide(input({ agreements, now: new Date(iso) }));
    const morning = at('2026-06-14T23:00:00Z');
    expect([...morning.permitted].sort()).toEqual(['address', 'contact', 'housing', 'identity', 'revenues']);
    for (const iso of ['2026-06-15T05:00:00Z', '2026-06-15T12:34:56Z', '2026-06-15T22:59:59.999Z']) expect(at(iso)).toEqual(morning);
    expect([...at('2026-06-15T23:00:00Z').permitted].sort()).toEqual(['address', 'contact', 'identity', 'revenues']);
  });

  it('formats the London date across the clock change and for times far back', () => {
    expect(londonDate(new Date('2026-10-24T22:59:59Z'))).toBe('2026-10-24');
    expect(londonDate(new Date('2026-10-24T23:00:00Z'))).toBe('2026-10-25');
    expect(londonDate(new Date('2026-10-25T23:59:59Z'))).toBe('2026-10-25');
    expect(londonDate(new Date('2026-10-26T00:00:00Z'))).toBe('2026-10-26');
    // London mean time, 1m15s behind UTC: no whole-hour offset, so not taken from the hour's cache.
    expect(londonDate(new Date('1800-01-02T00:00:30Z'))).toBe('1800-01-01');
    expect(londonDate(new Date('1800-01-02T00:01:30Z'))).toBe('1800-01-02');
    expect(() => londonDate(new Date(Number.NaN))).toThrow(RangeError);
  });
});
