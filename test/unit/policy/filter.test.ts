import { Value } from 'typebox/value';
import { describe, expect, it } from 'vitest';
import { CitizenView } from '../../../schemas/citizen-view.js';
import type { SharingAgreement } from '../../../schemas/register.js';
import type { ENTITLEMENT_KINDS } from '../../../schemas/source-record.js';
import { decide } from '../../../src/policy/decide.js';
import { disclosedCategories, disclosedFields, filterView, namesAsMember } from '../../../src/policy/filter.js';
import { agreement, CITIZEN, input } from './register-fixtures.js';

const source = { system: 'revenues', sourceRef: 'CT-1', asOf: '2026-05-01T00:00:00Z', verified: true };
const name = { title: 'MS', forenames: ['TESSA'], surname: 'TESTER', suffix: null, raw: null, kind: 'current' as const };

// The shared Entitlement schema's kind has no static type (a union mapped from an array), so the literal is cast.
const kind = (k: (typeof ENTITLEMENT_KINDS)[number]) => k as never;

const view: CitizenView = {
  ref: CITIZEN,
  identity: { name: { value: name, source }, otherNames: [], dateOfBirth: { value: '1980-02-29', source }, sex: null, nhsNumber: null, nino: null },
  contact: [{ contact: { kind: 'phone', value: '+447700900123', raw: '07700 900123', valid: true, use: 'mobile' }, source }],
  addresses: [{ uprn: 100000000001, line: '1 TEST ROAD', postcode: 'AA1 1AA', matchStatus: 'matched', current: true, source }],
  household: [{ citizenRef: 'CH-0000-0009', name: 'T TESTER' }],
  entitlements: [
    { entitlement: { kind: kind('council-tax-reduction'), code: 'CTR', from: '2025-04-01', to: null, evidence: { verified: true, verifiedOn: null, method: null } }, category: 'revenues', status: 'current', holder: 'person', source },
    { entitlement: { kind: kind('blue-badge'), code: null, from: null, to: null, evidence: { verified: false, verifiedOn: null, method: null } }, category: 'health-disability', status: 'current', holder: 'person', source },
  ],
  involvements: [
    { involvement: { service: 'adult social care', reference: 'SC-1', role: 'client', status: 'open', from: null, to: null }, category: 'social-care', source },
    { involvement: { service: 'council tax', reference: 'CT-1', role: 'liable party', status: 'open', from: null, to: null }, category: 'service-involvement', source },
    { involvement: { service: 'mystery', reference: 'X-1', role: null, status: 'open', from: null, to: null }, category: 'not-a-category', source },
  ],
  sourceRecords: [{ system: 'revenues', sourceRef: 'CT-1', linkedAt: '2026-05-01T00:00:00Z', linkedBy: 'model', closed: false }],
  withheld: [],
};

const decisionFor = (categories: SharingAgreement['categories']) =>
  decide(input({ agreements: [agreement({ categories, art9Condition: { condition: 'h', text: 'health or social care' } })] }));

describe('filterView', () => {
  it('is valid against the view schema before and after', () => {
    expect(Value.Errors(CitizenView, view)).toEqual([]);
    expect(Value.Errors(CitizenView, filterView(view, decisionFor(['identity'])))).toEqual([]);
  });

  it('removes denied sections and lists every denied category as withheld', () => {
    const filtered = filterView(view, decisionFor(['identity', 'address']));
    // The values stay; their provenance names no system (see below).
    const unnamed = (v: unknown) => JSON.parse(JSON.stringify(v).replaceAll('"system":"revenues","sourceRef":"CT-1"', '"system":null,"sourceRef":null')) as unknown;
    expect(filtered.identity).toEqual(unnamed(view.identity));
    expect(filtered.addresses).toEqual(unnamed(view.addresses));
    expect(filtered).not.toHaveProperty('contact');
    expect(filtered).not.toHaveProperty('household');
    expect(filtered).not.toHaveProperty('sourceRecords');
    expect(filtered.entitlements).toEqual([]);
    expect(filtered.involvements).toEqual([]);
    expect(filtered.ref).toBe(CITIZEN);
    // Withheld names categories the view has no data for too, so it reveals nothing.
    expect(filtered.withheld).toEqual(['contact', 'household', 'revenues', 'housing', 'social-care', 'health-disability', 'concessions', 'service-involvement', 'safeguarding']);
  });

  it('filters entitlements and involvements item by item, dropping unknown categories', () => {
    const filtered = filterView(view, decisionFor(['revenues', 'social-care', 'service-involvement']));
    expect(filtered.entitlements?.map((e) => e.entitlement.kind)).toEqual(['council-tax-reduction']);
    expect(filtered.involvements?.map((i) => i.involvement.reference)).toEqual(['SC-1', 'CT-1']);
    // Housing and concessions are not permitted, so systems are not named: no linked record is listed.
    expect(filtered).not.toHaveProperty('sourceRecords');
    expect(filtered.withheld).toContain('health-disability');
  });

  it('shows an entitlement revealing a disability only under health-disability, and one of a council tax or concessions scheme only with that category too', () => {
    const entitlement = (k: (typeof ENTITLEMENT_KINDS)[number], category: string) =>
      ({ entitlement: { kind: kind(k), code: 'DIS', from: null, to: null, evidence: { verified: true, verifiedOn: null, method: 'assessment' } }, category, status: 'current' as const, holder: 'person' as const, source });
    // As the golden record built them before: a category on the item that undersells the kind withholds nothing less.
    const withDisability: CitizenView = {
      ...view,
      entitlements: [entitlement('disability-reduction', 'revenues'), entitlement('disabled-person-concession', 'concessions'), entitlement('disability', 'health-disability')],
    };
    const shown = (categories: SharingAgreement['categories']) => filterView(withDisability, decisionFor(categories)).entitlements?.map((e) => e.entitlement.kind);
    expect(shown(['revenues', 'concessions'])).toEqual([]);
    expect(shown(['health-disability'])).toEqual(['disability']);
    expect(shown(['health-disability', 'revenues', 'concessions'])).toEqual(['disability-reduction', 'disabled-person-concession', 'disability']);
    const noArt9 = decide(input({ agreements: [agreement({ categories: ['health-disability', 'revenues', 'concessions'] })] }));
    expect(filterView(withDisability, noArt9).entitlements).toEqual([]);
    // What the view then discloses is health data and the scheme's category both.
    const only = filterView({ ...withDisability, entitlements: [entitlement('disability-reduction', 'health-disability')] }, decisionFor(['health-disability', 'revenues']));
    expect(disclosedCategories(only)).toEqual(['revenues', 'health-disability']);
  });

  it('shows an entitlement social care holds only under social-care, whatever the category on the item says', () => {
    const held = (system: string) => ({
      entitlement: { kind: kind('other'), code: system, from: null, to: null, evidence: { verified: true, verifiedOn: null, method: null } },
      category: 'service-involvement', status: 'current' as const, holder: 'person' as const, source: { ...source, system },
    });
    const others: CitizenView = { ...view, entitlements: [held('revenues'), held('social-care')] };
    const shown = (categories: SharingAgreement['categories']) => filterView(others, decisionFor(categories)).entitlements?.map((e) => e.entitlement.code);
    expect(shown(['service-involvement'])).toEqual(['revenues']);
    expect(shown(['service-involvement', 'social-care'])).toEqual(['revenues', 'social-care']);
  });

  it('names a household member only to a caller who may see their identity and address', () => {
    expect(namesAsMember(decisionFor(['identity', 'household']))).toBe(false);
    expect(namesAsMember(decisionFor(['identity']))).toBe(false);
    expect(namesAsMember(decisionFor(['identity', 'address']))).toBe(true);
  });

  it('does not change the view it is given', () => {
    const copy = structuredClone(view);
    filterView(view, decisionFor(['identity']));
    expect(view).toEqual(copy);
  });

  it('names source systems only to a caller who may see every category a system name can disclose', () => {
    const scVia = { ...source, system: 'social-care', sourceRef: 'SC-9' };
    const fromCare: CitizenView = {
      ...view,
      identity: { ...view.identity!, name: { value: name, source: scVia } },
      sourceRecords: [...view.sourceRecords!, { system: 'social-care', sourceRef: 'SC-9', linkedAt: '2026-05-01T00:00:00Z', linkedBy: 'model', closed: false }],
    };
    const partial = filterView(fromCare, decisionFor(['identity', 'contact', 'address', 'revenues', 'service-involvement']));
    expect(Value.Errors(CitizenView, partial)).toEqual([]);
    // Nothing in the response names a system, so nothing tells that a value came from social care.
    expect(JSON.stringify({ ...partial, withheld: [] })).not.toMatch(/social-care|SC-9/);
    expect(partial.identity?.name.source).toEqual({ system: null, sourceRef: null, asOf: source.asOf, verified: true });
    expect(partial.contact?.[0]?.source.system).toBeNull();
    expect(partial.addresses?.[0]?.source.sourceRef).toBeNull();
    expect(partial.entitlements?.map((e) => e.source.system)).toEqual([null]);
    // Nor does the list of linked records, which names the systems whose category is permitted and their references.
    expect(partial).not.toHaveProperty('sourceRecords');

    const all = filterView(fromCare, decisionFor(['identity', 'revenues', 'housing', 'social-care', 'concessions', 'service-involvement']));
    expect(all.identity?.name.source).toEqual(scVia);
    expect(all.sourceRecords?.map((r) => r.system)).toEqual(['revenues', 'social-care']);
    expect(disclosedCategories(all)).toContain('social-care');
    expect(disclosedCategories(partial)).not.toContain('social-care');
  });

  it('keeps categories already withheld', () => {
    const filtered = filterView({ ...view, withheld: ['identity'] }, decisionFor(['identity', 'contact']));
    expect(filtered.withheld).toContain('identity');
    expect(filtered.withheld).not.toContain('contact');
  });
});

describe('disclosedFields and disclosedCategories', () => {
  it('lists the leaf paths with a value, without provenance', () => {
    const fields = disclosedFields(filterView(view, decisionFor(['identity', 'contact'])));
    expect(fields).toEqual([
      'contact[].contact.kind',
      'contact[].contact.raw',
      'contact[].contact.use',
      'contact[].contact.valid',
      'contact[].contact.value',
      'identity.dateOfBirth',
      'identity.name.forenames[]',
      'identity.name.kind',
      'identity.name.surname',
      'identity.name.title',
    ]);
  });

  it('names only what survived the filter', () => {
    const filtered = filterView(view, decisionFor(['revenues']));
    expect(disclosedFields(filtered)).toEqual([
      'entitlements[].entitlement.code',
      'entitlements[].entitlement.evidence.verified',
      'entitlements[].entitlement.from',
      'entitlements[].entitlement.kind',
      'entitlements[].holder',
      'entitlements[].status',
    ]);
    expect(disclosedCategories(filtered)).toEqual(['revenues']);
  });

  it('tells array items from a key named [], on the first reading of a path and after', () => {
    const odd = { ref: CITIZEN, withheld: [], household: [{ citizenRef: 'CH-0000-0002', name: 'A B' }], notes: { '[]': 'x', list: ['y'] } } as unknown as CitizenView;
    const expected = ['household[].citizenRef', 'household[].name', 'notes.[]', 'notes.list[]'];
    expect(disclosedFields(odd)).toEqual(expected);
    expect(disclosedFields(odd)).toEqual(expected);
  });

  it('lists the categories present in a view', () => {
    expect(disclosedCategories(view)).toEqual(['identity', 'contact', 'address', 'household', 'revenues', 'social-care', 'health-disability', 'service-involvement']);
  });
});
