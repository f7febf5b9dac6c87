/**
 * A council's own source system holds the category its mapping file names
 * (MAPPING_FILES, `category`): being known to a stop-smoking clinic is health
 * data, so its records show only under an agreement that permits health data
 * with an Art. 9 condition, and naming the system at all needs that too.
 * Without the category the same records are service involvement.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useSystemCategories } from '../../../schemas/categories.js';
import type { CitizenView } from '../../../schemas/citizen-view.js';
import { createClient } from '../../../src/auth/clients.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { oneAccount, sourceRecord, store } from '../linkage/people.js';

describe("a council's own system with a category of its own", () => {
  let hub: TestHub;
  let adviser = '';
  let clinician = '';
  let ref = '';
  const read = async (key: string) => {
    const response = await hub.app.inject({ url: `/v1/citizens/${ref}`, headers: { authorization: `Bearer ${key}`, 'x-purpose': 'direct-service-delivery' } });
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as CitizenView;
  };
  const clinicInvolvements = (view: CitizenView) => (view.involvements ?? []).filter((i) => i.involvement.reference === 'SSREF');

  beforeAll(async () => {
    hub = await createTestHub();
    const dpo = await createClient(hub.db.pool, { org: 'Northby Council Information Governance', role: 'dpo' });
    const council = await createClient(hub.db.pool, { org: 'Northby Council Contact Centre', role: 'adviser' });
    const clinic = await createClient(hub.db.pool, { org: 'Northby Public Health', role: 'adviser' });
    [adviser, clinician] = [council.key, clinic.key];
    const agree = async (id: string, orgId: number, categories: string[], art9: boolean) => {
      const made = await hub.app.inject({
        method: 'POST', url: '/v1/register/agreements', headers: { authorization: `Bearer ${dpo.key}` },
        payload: {
          id, title: id, parties: { provider: { orgId: dpo.client.orgId }, recipients: [orgId] }, roles: null, purposes: ['direct-service-delivery'], categories,
          lawfulBasis: 'public-task', art9Condition: art9 ? { condition: 'h', text: 'health or social care' } : null, legalGateway: 'Local Government Act 1972 s.111',
          dpiaReference: 'DPIA-OWN', startDate: '2026-01-01', endDate: null, reviewDate: '2027-01-01', status: 'active',
        },
      });
      expect(made.statusCode, made.body).toBe(201);
    };
    await agree('ISA-COUNCIL', council.client.orgId, ['identity', 'contact', 'address', 'revenues', 'service-involvement'], false);
    await agree('ISA-CLINIC', clinic.client.orgId, ['identity', 'contact', 'address', 'revenues', 'service-involvement', 'health-disability'], true);
    const person = { forenames: ['IMOGEN'], surname: 'TREVELYAN', dob: '1979-05-21', lines: ['2 FERN WALK', 'NORTHBY'], postcode: 'ZZ9 9IT', uprn: 700007 };
    const records = [sourceRecord({ ...person, system: 'revenues', ref: 'RIT1' }), sourceRecord({ ...person, system: 'stop-smoking', ref: 'SS1', accounts: ['SSREF'] })];
    for (const record of records) await store(hub.db.pool, [record]);
    ref = await oneAccount(hub.db.pool, records);
  }, 120_000);
  afterAll(async () => {
    useSystemCategories({});
    await hub?.close();
  });

  it('shows its records only where health data may go, and names it to no one else', async () => {
    useSystemCategories({ 'stop-smoking': 'health-disability' });
    const council = await read(adviser);
    expect(council.identity?.name.value).toMatchObject({ surname: 'TREVELYAN' });
    expect(clinicInvolvements(council)).toEqual([]);
    expect(council.sourceRecords).toBeUndefined();
    expect(JSON.stringify(council)).not.toContain('stop-smoking');

    const clinic = await read(clinician);
    expect(clinicInvolvements(clinic)).toMatchObject([{ category: 'health-disability' }]);
  });

  it('is service involvement when its mapping names no category', async () => {
    useSystemCategories({});
    expect(clinicInvolvements(await read(adviser))).toMatchObject([{ category: 'service-involvement' }]);
  });
});
