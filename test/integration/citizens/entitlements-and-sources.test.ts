/**
 * On the real citizen source (golden record from the linkage tables): an
 * entitlement that reveals a disability is health data, shown only under an
 * agreement permitting health-disability with an Art. 9 condition (and one
 * granted by a council tax or concessions scheme needs that category too);
 * an entitlement social care holds is social-care data whatever its kind;
 * and the linked records, which name systems, are listed only to a caller to
 * whom values name their systems.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CitizenView } from '../../../schemas/citizen-view.js';
import type { SourceRecord } from '../../../schemas/source-record.js';
import { createClient } from '../../../src/auth/clients.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { oneAccount, sourceRecord, store } from '../linkage/people.js';

const evidence = (method: string) => ({ verified: true, verifiedOn: '2020-04-01', method });
const ART9 = { condition: 'h', text: 'health or social care' };

describe('special-category entitlements and linked records in the citizen view', () => {
  let hub: TestHub;
  let dpo: string;
  let ref = '';

  /** A reader of a new organisation with its own agreement for the contact centre purpose. */
  const reader = async (org: string, categories: string[], art9Condition: typeof ART9 | null) => {
    const made = await createClient(hub.db.pool, { org, role: 'adviser' });
    const created = await hub.app.inject({
      method: 'POST', url: '/v1/register/agreements', headers: { authorization: `Bearer ${dpo}` },
      payload: {
        id: `ISA-ES-${made.client.orgId}`, title: org, parties: { provider: { orgId: made.client.orgId }, recipients: [made.client.orgId] }, roles: null,
        purposes: ['contact-centre-enquiry'], categories, lawfulBasis: 'public-task', art9Condition, legalGateway: 'Local Government Act 1972 s.111',
        dpiaReference: 'DPIA-ES', startDate: '2026-01-01', endDate: null, reviewDate: '2027-01-01', status: 'active',
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    return made;
  };
  const view = async (key: string): Promise<CitizenView> => {
    const response = await hub.app.inject({ url: `/v1/citizens/${ref}`, headers: { authorization: `Bearer ${key}`, 'x-purpose': 'contact-centre-enquiry' } });
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as CitizenView;
  };
  const kinds = (v: CitizenView) => (v.entitlements ?? []).map((e) => e.entitlement.kind).sort();
  const disclosed = async (clientId: number) => (await hub.db.pool.query<{ categories_disclosed: string[] }>(
    "SELECT categories_disclosed FROM audit_log WHERE action = 'citizen.read' AND client_id = $1 ORDER BY seq DESC LIMIT 1", [clientId])).rows[0]!.categories_disclosed;

  beforeAll(async () => {
    hub = await createTestHub();
    dpo = await hub.keyFor('dpo', 'Northby Council Information Governance');
    const dora = { forenames: ['DORA'], surname: 'WHEELWRIGHT', dob: '1950-05-05', lines: ['9 MILL LANE', 'NORTHBY'], postcode: 'ZZ9 9DW', uprn: 600001 };
    const records: SourceRecord[] = [
      sourceRecord({
        ...dora, system: 'revenues', ref: 'RDW1',
        entitlements: [
          { kind: 'disability-reduction', code: 'DIS', from: '2020-04-01', to: null, evidence: evidence('assessment') },
          { kind: 'single-person-discount', code: 'SPD', from: '2020-04-01', to: null, evidence: evidence('declaration') },
        ],
      }),
      sourceRecord({
        ...dora, system: 'smartcard', ref: 'SCDW1',
        entitlements: [
          { kind: 'disabled-person-concession', code: 'DIS', from: '2022-05-01', to: null, evidence: evidence('PIP award letter') },
          { kind: 'blue-badge', code: 'BB', from: '2022-05-01', to: null, evidence: evidence('mobility assessment') },
        ],
      }),
    ];
    for (const record of records) await store(hub.db.pool, [record]);
    ref = await oneAccount(hub.db.pool, records);
  }, 120_000);
  afterAll(async () => hub.close());

  it('withholds disability entitlements of every scheme from a caller without health-disability', async () => {
    const noHealth = await reader('Northby Council Revenues Desk', ['identity', 'revenues', 'concessions'], null);
    const seen = await view(noHealth.key);
    expect(seen.withheld).toContain('health-disability');
    expect(kinds(seen)).toEqual(['single-person-discount']);
    expect(await disclosed(noHealth.client.id)).not.toContain('health-disability');
  });

  it('withholds them under an agreement naming health-disability without an Art. 9 condition', async () => {
    const noArt9 = await reader('Northby Council Concessions Desk', ['identity', 'revenues', 'concessions', 'health-disability'], null);
    const seen = await view(noArt9.key);
    expect(seen.withheld).toContain('health-disability');
    expect(kinds(seen)).toEqual(['single-person-discount']);
  });

  it('shows verified disability entitlements under health-disability with an Art. 9 condition and the scheme\'s category, audited as both', async () => {
    const adviser = await reader('Northby Council Contact Centre', ['identity', 'revenues', 'concessions', 'health-disability'], ART9);
    const seen = await view(adviser.key);
    expect(kinds(seen)).toEqual(['blue-badge', 'disability-reduction', 'disabled-person-concession', 'single-person-discount']);
    const reduction = seen.entitlements!.find((e) => e.entitlement.kind === 'disability-reduction')!;
    expect(reduction).toMatchObject({ category: 'health-disability', entitlement: { code: 'DIS', evidence: { verified: true, method: 'assessment' } }, source: { verified: true } });
    expect(seen.entitlements!.find((e) => e.entitlement.kind === 'disabled-person-concession')!.category).toBe('health-disability');
    expect(await disclosed(adviser.client.id)).toEqual(expect.arrayContaining(['health-disability', 'revenues', 'concessions']));
    // One granted by council tax or concessions tells that scheme too: without its category, only the blue badge is shown.
    const health = await reader('Northby Community Health', ['identity', 'health-disability'], ART9);
    expect(kinds(await view(health.key))).toEqual(['blue-badge']);
    expect(await disclosed(health.client.id)).toEqual(['identity', 'health-disability']);
  });

  it("takes an entitlement of kind other held by social care as social-care, not service-involvement", async () => {
    const edna = { forenames: ['EDNA'], surname: 'COOPERAGE', dob: '1948-03-03', lines: ['4 MILL LANE', 'NORTHBY'], postcode: 'ZZ9 9DW', uprn: 600002 };
    const records: SourceRecord[] = [
      sourceRecord({ ...edna, system: 'revenues', ref: 'REC1', entitlements: [{ kind: 'other', code: 'HARDSHIP', from: '2021-01-01', to: null, evidence: evidence('application') }] }),
      sourceRecord({ ...edna, system: 'social-care', ref: 'SCEC1', entitlements: [{ kind: 'other', code: 'CARE-PACKAGE', from: '2023-01-01', to: null, evidence: evidence('care assessment') }] }),
    ];
    for (const record of records) await store(hub.db.pool, [record]);
    const ednaRef = await oneAccount(hub.db.pool, records);
    const codes = async (key: string) => {
      const response = await hub.app.inject({ url: `/v1/citizens/${ednaRef}`, headers: { authorization: `Bearer ${key}`, 'x-purpose': 'contact-centre-enquiry' } });
      expect(response.statusCode, response.body).toBe(200);
      return ((response.json() as CitizenView).entitlements ?? []).map((e) => [e.entitlement.code, e.category]).sort();
    };
    const services = await reader('Northby Council Welfare Desk', ['identity', 'revenues', 'service-involvement'], null);
    expect(await codes(services.key)).toEqual([['HARDSHIP', 'service-involvement']]);
    expect(await disclosed(services.client.id)).not.toContain('social-care');
    const care = await reader('Northby Council Adult Care', ['identity', 'revenues', 'social-care', 'service-involvement'], ART9);
    expect(await codes(care.key)).toEqual([['CARE-PACKAGE', 'social-care'], ['HARDSHIP', 'service-involvement']]);
    expect(await disclosed(care.client.id)).toContain('social-care');
  });

  it('lists linked records only to a caller to whom values name their source systems', async () => {
    // The list's own category, service-involvement, is permitted, but housing and social care are not: systems are unnamed.
    const partial = await reader('Northby Council Billing', ['identity', 'revenues', 'concessions', 'service-involvement'], null);
    const unnamed = await view(partial.key);
    expect(unnamed.identity?.name.source.system).toBeNull();
    expect(unnamed).not.toHaveProperty('sourceRecords');
    // Nothing names a system or a record's reference in it (an entitlement's category is no system's name).
    expect(JSON.stringify(unnamed)).not.toMatch(/RDW1|SCDW1|"system":"|smartcard/);

    const all = await reader('Northby Council Care Team', ['identity', 'revenues', 'housing', 'social-care', 'concessions', 'service-involvement'], ART9);
    const named = await view(all.key);
    expect(named.identity?.name.source.system).not.toBeNull();
    expect(named.sourceRecords?.map((r) => `${r.system}|${r.sourceRef}`).sort()).toEqual(['revenues|RDW1', 'smartcard|SCDW1']);
  });
});
