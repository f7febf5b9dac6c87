/**
 * Occupants of a property and the household on a golden record are the
 * people who live there now: a record whose every residential address has
 * ended (the person moved out) does not make its citizen an occupant.
 * Also search by identifiers as people give them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CitizenView } from '../../../schemas/citizen-view.js';
import type { SourceRecord } from '../../../schemas/source-record.js';
import { createClient } from '../../../src/auth/clients.js';
import { createCitizen, mergeCitizens, MODEL } from '../../../src/linkage/accounts.js';
import { LinkedCitizenSource } from '../../../src/linkage/citizen-source.js';
import { personFeatures } from '../../../src/linkage/features.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { sourceRecord, store } from '../linkage/people.js';

describe('occupants and households from the linkage tables', () => {
  let hub: TestHub;
  let adviser: string;
  const read = (url: string, purpose = 'contact-centre-enquiry') => hub.app.inject({ url, headers: { authorization: `Bearer ${adviser}`, 'x-purpose': purpose } });
  const refs = new Map<string, string>();

  async function person(record: SourceRecord, into?: string) {
    await store(hub.db.pool, [record]);
    const client = await hub.db.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO person_record (system, source_ref, source_record_id, features)
        SELECT system, source_ref, id, $3 FROM source_record WHERE current AND system = $1 AND source_ref = $2`, [record.system, record.sourceRef, JSON.stringify(personFeatures(record))]);
      if (into) {
        const { rows } = await client.query<{ id: string }>('SELECT id FROM citizen WHERE ref = $1', [refs.get(into)]);
        await client.query("INSERT INTO citizen_link (citizen_id, system, source_ref, linked_by) VALUES ($1, $2, $3, 'model')", [rows[0]!.id, record.system, record.sourceRef]);
      } else {
        const id = await createCitizen(client, MODEL, { system: record.system, sourceRef: record.sourceRef, linkedBy: 'model' });
        const { rows } = await client.query<{ ref: string }>('SELECT ref FROM citizen WHERE id = $1', [id]);
        refs.set(record.sourceRef, rows[0]!.ref);
      }
      await client.query('COMMIT');
    } finally { client.release(); }
  }

  beforeAll(async () => {
    hub = await createTestHub();
    const council = await createClient(hub.db.pool, { org: 'Northby Council Contact Centre', role: 'adviser' });
    adviser = council.key;
    const dpo = await hub.keyFor('dpo', 'Northby Council Information Governance');
    const isa = await hub.app.inject({
      method: 'POST', url: '/v1/register/agreements', headers: { authorization: `Bearer ${dpo}` },
      payload: {
        id: 'ISA-CC', title: 'Contact centre', parties: { provider: { orgId: council.client.orgId }, recipients: [council.client.orgId] }, roles: null,
        purposes: ['contact-centre-enquiry'], categories: ['identity', 'contact', 'address', 'household', 'service-involvement'],
        lawfulBasis: 'public-task', art9Condition: null, legalGateway: 'Local Government Act 1972 s.111', dpiaReference: 'DPIA-1',
        startDate: '2026-01-01', endDate: null, reviewDate: '2027-01-01', status: 'active',
      },
    });
    expect(isa.statusCode).toBe(201);
    await person(sourceRecord({ system: 'revenues', ref: 'R1', forenames: ['ANNA'], surname: 'STAYER', dob: '1970-01-01', lines: ['1 ELM ROAD', 'NORTHBY'], postcode: 'ZZ9 9AA', uprn: 500001 }));
    const moved = sourceRecord({ system: 'housing', ref: 'H2', forenames: ['BORIS'], surname: 'LEAVER', dob: '1971-01-01', lines: ['1 ELM ROAD', 'NORTHBY'], postcode: 'ZZ9 9AA', uprn: 500001 });
    moved.addresses[0]!.to = '2025-01-01';
    await person(moved);

    await person(sourceRecord({ system: 'revenues', ref: 'R3', forenames: ['CARL'], surname: 'STAYER', dob: '1990-01-01', lines: ['2 ELM ROAD', 'NORTHBY'], postcode: 'ZZ9 9AB', uprn: 500002 }));
    await person(sourceRecord({ system: 'housing', ref: 'H3', forenames: ['CARL'], surname: 'STAYER', dob: '1990-01-01', lines: ['2 ELM ROAD', 'NORTHBY'], postcode: 'ZZ9 9AB', uprn: 500002 }), 'R3');
  }, 120_000);
  afterAll(async () => hub.close());

  it('lists as occupants and household only the people whose residential address at the UPRN is in force', async () => {
    const occupants = (await read('/v1/properties/500001/occupants')).json() as { count: number; citizens: CitizenView[] };
    expect(occupants.citizens.map((c) => c.ref)).toEqual([refs.get('R1')]);
    expect(occupants.count).toBe(1);
    const anna = (await read(`/v1/citizens/${refs.get('R1')}`)).json() as CitizenView;
    expect(anna.household).toEqual([]);
    // Who lived there still has the address in the record, as a former one.
    const boris = (await read(`/v1/citizens/${refs.get('H2')}`)).json() as CitizenView;
    expect(boris.addresses?.map((a) => [a.uprn, a.current])).toEqual([[500001, false]]);
    // Two records of one citizen at 500002: one occupant, whose household is nobody else.
    const carl = (await read('/v1/properties/500002/occupants')).json() as { count: number; citizens: CitizenView[] };
    expect(carl.citizens.map((c) => c.ref)).toEqual([refs.get('R3')]);
  });

  it('takes a UPRN as digits only: other spellings of a number are not some other property', async () => {
    for (const odd of ['5e5', '0x7A121', '%20500001', '500001.0', '0000000500001']) {
      const occupants = await read(`/v1/properties/${odd}/occupants`);
      expect(occupants.statusCode, odd).toBe(400);
      expect(occupants.json()).toMatchObject({ code: 'validation-failed' });
      expect((await read(`/v1/citizens?uprn=${odd}`)).statusCode, odd).toBe(400);
    }
    expect(((await read('/v1/properties/0500001/occupants')).json() as { count: number }).count).toBe(1);
    expect(((await read('/v1/citizens?uprn=500001')).json() as { citizens: CitizenView[] }).citizens.map((c) => c.ref)).toContain(refs.get('R1'));
  });

  it("gives with a view the references merged into each household member, for the policy's register checks", async () => {
    await person(sourceRecord({ system: 'revenues', ref: 'R6', forenames: ['FIONA'], surname: 'STAYER', dob: '1972-01-01', lines: ['1 ELM ROAD', 'NORTHBY'], postcode: 'ZZ9 9AA', uprn: 500001 }));
    await person(sourceRecord({ system: 'social-care', ref: 'S6', forenames: ['FIONA'], surname: 'STAYER', dob: '1972-01-01' }));
    const client = await hub.db.pool.connect();
    try {
      const { rows } = await client.query<{ id: string }>('SELECT id FROM citizen WHERE ref = ANY($1) ORDER BY id', [[refs.get('R6'), refs.get('S6')]]);
      await mergeCitizens(client, Number(rows[0]!.id), Number(rows[1]!.id), MODEL);
    } finally { client.release(); }
    const found = await new LinkedCitizenSource(hub.db.pool).view(refs.get('R1')!, '2026-06-01');
    expect(found !== null && 'view' in found).toBe(true);
    const { view, memberMergedRefs } = found as { view: CitizenView; memberMergedRefs: Record<string, string[]> };
    expect(view.household?.map((m) => m.citizenRef)).toEqual([refs.get('R6')]);
    expect(memberMergedRefs).toEqual({ [refs.get('R6')!]: [refs.get('S6')] });
    const household = async () => ((await read(`/v1/citizens/${refs.get('R1')}`)).json() as CitizenView).household;
    expect(await household()).toEqual([{ citizenRef: refs.get('R6'), name: 'FIONA STAYER' }]);
    // A restriction kept against the merged reference hides the member in the views of the people they live with.
    await hub.db.pool.query("INSERT INTO restriction (citizen_ref, valid_from, reason) VALUES ($1, '2026-01-01', 'accuracy contested')", [refs.get('S6')]);
    expect(await household()).toEqual([]);
    const occupants = (await read('/v1/properties/500001/occupants')).json() as { citizens: CitizenView[] };
    expect(occupants.citizens.map((c) => [c.ref, c.household])).toEqual([[refs.get('R1'), []]]);
  });

  it('finds a National Insurance number with or without its suffix letter, however it was stored', async () => {
    await person(sourceRecord({ system: 'revenues', ref: 'R4', forenames: ['DORA'], surname: 'SUFFIX', dob: '1980-01-01', nino: 'JG103759A' }));
    await person(sourceRecord({ system: 'housing', ref: 'H5', forenames: ['EDGAR'], surname: 'NOSUFFIX', dob: '1981-01-01', nino: 'AB123456' }));
    const found = async (nino: string) =>
      ((await read(`/v1/citizens?nino=${encodeURIComponent(nino)}`)).json() as { citizens: CitizenView[] }).citizens.map((c) => c.ref);
    expect(await found('JG103759A')).toEqual([refs.get('R4')]);
    expect(await found('jg 10 37 59')).toEqual([refs.get('R4')]);
    expect(await found('AB123456')).toEqual([refs.get('H5')]);
    expect(await found('AB 12 34 56 C')).toEqual([refs.get('H5')]);
    expect(await found('JG103758A')).toEqual([]);
  });
});
