/**
 * The citizen routes on the real citizen source: records stored through
 * intake, linked by a trained model, then read, searched (call pop-up by
 * phone number as telephony presents it) and listed by property through the
 * hub's own application, under an agreement.
 */
import { runner } from 'node-pg-migrate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_BLOCKING_RULES } from '../../../matching/person/index.js';
import type { CitizenView } from '../../../schemas/citizen-view.js';
import { createClient } from '../../../src/auth/clients.js';
import { migrate, migrationNames, MIGRATIONS_DIR } from '../../../src/db/migrate.js';
import { MODEL, mergeCitizens } from '../../../src/linkage/accounts.js';
import { linkAll } from '../../../src/linkage/batch.js';
import { LinkedCitizenSource } from '../../../src/linkage/citizen-source.js';
import { inTransaction, loadPrepareTables, openLinkage } from '../../../src/linkage/context.js';
import { markDistinctIn } from '../../../src/linkage/decisions.js';
import { trainFromDatabase } from '../../../src/linkage/train.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { population, sourceRecord, store } from '../linkage/people.js';

describe('citizen reads from the linkage tables', () => {
  let hub: TestHub;
  let adviser: string;
  let dpo: string;
  const quartermaine = { forenames: ['ZEBEDEE'], surname: 'QUARTERMAINE', dob: '1961-03-14', lines: ['4 LARK RISE', 'NORTHBY'], postcode: 'ZZ9 9QQ', uprn: 300001 };

  const read = (key: string, url: string) => hub.app.inject({ url, headers: { authorization: `Bearer ${key}`, 'x-purpose': 'contact-centre-enquiry' } });
  const search = async (query: string) => {
    const response = await read(adviser, `/v1/citizens?${query}`);
    expect(response.statusCode).toBe(200);
    return response.json() as { count: number; citizens: CitizenView[] };
  };

  beforeAll(async () => {
    hub = await createTestHub();
    await store(hub.db.pool, population(21, 120));
    await store(hub.db.pool, [sourceRecord({ ...quartermaine, system: 'revenues', ref: 'RQ1', phone: '+447911123456' })]);
    await store(hub.db.pool, [sourceRecord({ ...quartermaine, system: 'smartcard', ref: 'SC123456', email: 'zq@example.org' })]);
    await store(hub.db.pool, [sourceRecord({ ...quartermaine, forenames: ['ODETTE'], dob: '1963-07-02', system: 'housing', ref: 'HQ2' })]);
    const tables = await loadPrepareTables();
    await trainFromDatabase(hub.db.pool, tables, { seed: 5 });
    await linkAll(await openLinkage(hub.db.pool, { tables }));

    const council = await createClient(hub.db.pool, { org: 'Northby Council Contact Centre', role: 'adviser' });
    adviser = council.key;
    dpo = await hub.keyFor('dpo', 'Northby Council Information Governance');
    const isa = await hub.app.inject({
      method: 'POST', url: '/v1/register/agreements', headers: { authorization: `Bearer ${dpo}` },
      payload: {
        id: 'ISA-CC', title: 'Contact centre', parties: { provider: { orgId: council.client.orgId }, recipients: [council.client.orgId] }, roles: null,
        purposes: ['contact-centre-enquiry'], categories: ['identity', 'contact', 'address', 'household', 'revenues', 'concessions', 'service-involvement'],
        lawfulBasis: 'public-task', art9Condition: null, legalGateway: 'Local Government Act 1972 s.111', dpiaReference: 'DPIA-1',
        startDate: '2026-01-01', endDate: null, reviewDate: '2027-01-01', status: 'active',
      },
    });
    expect(isa.statusCode).toBe(201);
  }, 120_000);
  afterAll(async () => hub.close());

  it('finds a citizen by surname and forename, by a phone number written as people say it, by card number and by email; every criterion must hold', async () => {
    const bySurname = await search('surname=quartermaine&forename=zeb');
    expect(bySurname.count).toBe(1);
    const ref = bySurname.citizens[0]!.ref;
    // The adviser may not see housing or social care, so no system is named: the linked records are not listed.
    expect(bySurname.citizens[0]!.sourceRecords).toBeUndefined();

    const popUp = await search(`phone=${encodeURIComponent('07911 123456')}`);
    expect(popUp.citizens.map((c) => c.ref)).toEqual([ref]);
    expect((await search('cardNumber=SC123456')).citizens.map((c) => c.ref)).toEqual([ref]);
    expect((await search('email=ZQ@example.org')).citizens.map((c) => c.ref)).toEqual([ref]);
    // Every criterion must hold: the right surname with another date of birth finds nobody.
    expect((await search('surname=QUARTERMAINE&dob=1961-03-15')).count).toBe(0);
    expect((await search('surname=QUARTERMAINE')).count).toBe(2);
  });

  it('lists the occupants of a property and shows the household on the golden record', async () => {
    const occupants = await read(adviser, '/v1/properties/300001/occupants');
    expect(occupants.statusCode).toBe(200);
    const names = (occupants.json() as { citizens: CitizenView[] }).citizens.map((c) => c.identity?.name.value.forenames[0]).sort();
    expect(names).toEqual(['ODETTE', 'ZEBEDEE']);

    const [zebedee] = (await search('surname=QUARTERMAINE&forename=ZEBEDEE')).citizens;
    const view = (await read(adviser, `/v1/citizens/${zebedee!.ref}`)).json() as CitizenView;
    expect(view.household?.map((h) => h.name)).toEqual(['ODETTE QUARTERMAINE']);
  });

  it('names the systems that hold records about a person only to a reader who may see every category a system name tells', async () => {
    const agree = async (org: string, categories: string[]) => {
      const reader = await createClient(hub.db.pool, { org, role: 'adviser' });
      const created = await hub.app.inject({
        method: 'POST', url: '/v1/register/agreements', headers: { authorization: `Bearer ${dpo}` },
        payload: {
          id: `ISA-${reader.client.orgId}`, title: org, parties: { provider: { orgId: reader.client.orgId }, recipients: [reader.client.orgId] }, roles: null,
          purposes: ['contact-centre-enquiry'], categories, lawfulBasis: 'public-task', art9Condition: { condition: 'h', text: 'health or social care' },
          legalGateway: 'Care Act 2014', dpiaReference: 'DPIA-2', startDate: '2026-01-01', endDate: null, reviewDate: '2027-01-01', status: 'active',
        },
      });
      expect(created.statusCode).toBe(201);
      return reader.key;
    };
    const [zebedee] = (await search('surname=QUARTERMAINE&forename=ZEBEDEE')).citizens;
    const systemsNamed = (view: CitizenView) => [view.identity!.name.source, view.identity!.dateOfBirth!.source, ...view.addresses!.map((a) => a.source)].map((s) => s.system);

    // The contact centre may see revenues and concessions records but not housing or social care: no value says
    // which system it came from, and the linked records, which would name the systems it may see, are not listed.
    const adviserView = (await read(adviser, `/v1/citizens/${zebedee!.ref}`)).json() as CitizenView;
    expect(adviserView).not.toHaveProperty('sourceRecords');
    expect(new Set(systemsNamed(adviserView))).toEqual(new Set([null]));
    expect(JSON.stringify(adviserView)).not.toMatch(/RQ1|SC123456|"system":"/);
    const audited = await hub.db.pool.query<{ categories_disclosed: string[] }>(
      "SELECT categories_disclosed FROM audit_log WHERE action = 'citizen.read' AND citizen_ref = $1 ORDER BY seq DESC LIMIT 1", [zebedee!.ref]);
    // Nothing in the view tells which systems hold records about the person, and the entry says so.
    expect(audited.rows[0]!.categories_disclosed).toEqual(['identity', 'contact', 'address', 'household']);

    const care = await agree('Northby Council Care Team', ['identity', 'address', 'revenues', 'housing', 'social-care', 'concessions', 'service-involvement']);
    const careView = (await read(care, `/v1/citizens/${zebedee!.ref}`)).json() as CitizenView;
    expect(systemsNamed(careView).every((s) => s === 'revenues' || s === 'smartcard')).toBe(true);
    expect(careView.identity!.name.source.sourceRef).toMatch(/^(RQ1|SC123456)$/);
    expect(careView.sourceRecords?.map((r) => r.sourceRef).sort()).toEqual(['RQ1', 'SC123456']);

    const partner = await agree('Northby Police', ['identity', 'address', 'service-involvement']);
    const partnerView = (await read(partner, `/v1/citizens/${zebedee!.ref}`)).json() as CitizenView;
    expect(partnerView.identity!.name.value.surname).toBe('QUARTERMAINE');
    expect(partnerView).not.toHaveProperty('sourceRecords');
    expect(JSON.stringify({ ...partnerView, withheld: [] })).not.toMatch(/revenues|smartcard|RQ1|SC123456/);
  });

  it('gives the DPO the account history in a subject access export', async () => {
    const [zebedee] = (await search('surname=QUARTERMAINE&forename=ZEBEDEE')).citizens;
    const response = await hub.app.inject({ url: `/v1/citizens/${zebedee!.ref}/subject-access`, headers: { authorization: `Bearer ${dpo}`, 'x-purpose': 'contact-centre-enquiry' } });
    expect(response.statusCode).toBe(200);
    const body = response.json() as { linkHistory: { kind: string; sourceRef: string | null }[]; sourceRecords: { sourceRef: string }[] };
    expect(body.linkHistory.map((e) => e.kind)).toContain('create');
    expect(body.sourceRecords.map((r) => r.sourceRef).sort()).toEqual(['RQ1', 'SC123456']);
  });

  it("includes a steward's decisions that the person's records are not another person in the subject access export", async () => {
    const steward = await createClient(hub.db.pool, { org: 'Northby Council Data Quality', role: 'steward' });
    const [zebedee] = (await search('surname=QUARTERMAINE&forename=ZEBEDEE')).citizens;
    const [odette] = (await search('surname=QUARTERMAINE&forename=ODETTE')).citizens;
    const ids = (await hub.db.pool.query<{ ref: string; id: string }>('SELECT ref, id FROM citizen WHERE ref = ANY($1)', [[zebedee!.ref, odette!.ref]])).rows;
    const zebedeeId = Number(ids.find((r) => r.ref === zebedee!.ref)!.id);
    const ctx = { pool: hub.db.pool, tables: await loadPrepareTables(), rules: DEFAULT_BLOCKING_RULES };
    await inTransaction(hub.db.pool, (db) => markDistinctIn(db, ctx, 'housing', 'HQ2', zebedeeId, { system: 'revenues', sourceRef: 'RQ1' },
      { clientId: steward.client.id, reason: 'his wife: another date of birth' }));
    const history = async (ref: string) => {
      const response = await hub.app.inject({ url: `/v1/citizens/${ref}/subject-access`, headers: { authorization: `Bearer ${dpo}` } });
      expect(response.statusCode).toBe(200);
      return (response.json() as { linkHistory: Record<string, unknown>[] }).linkHistory;
    };
    const decision = {
      kind: 'distinct', citizenRef: zebedee!.ref, otherRef: null, system: 'housing', sourceRef: 'HQ2', otherSystem: 'revenues', otherSourceRef: 'RQ1',
      clientId: steward.client.id, reason: 'his wife: another date of birth', at: expect.any(String), revokedAt: null,
    };
    // His account is the one named, and his record the one compared; hers is the record declared distinct.
    expect(await history(zebedee!.ref)).toContainEqual(decision);
    expect(await history(odette!.ref)).toContainEqual(decision);
    const other = (await hub.db.pool.query<{ ref: string }>(
      "SELECT ref FROM citizen WHERE status = 'active' AND merged_into IS NULL AND NOT ref = ANY($1) ORDER BY id LIMIT 1", [[zebedee!.ref, odette!.ref]],
    )).rows[0]!.ref;
    expect((await history(other)).map((e) => e.kind)).not.toContain('distinct');
  });

  it('names someone with records in force at two addresses as an occupant only of the one their own view gives as current', async () => {
    const dmitri = { forenames: ['DMITRI'], surname: 'FAIRWEATHER', dob: '1949-08-17', nhs: '4010232137' };
    await store(hub.db.pool, [
      sourceRecord({ ...dmitri, system: 'housing', ref: 'HDF1', lines: ['1 FEN ROW', 'NORTHBY'], postcode: 'ZZ9 9FA', uprn: 300101, updatedAt: '2026-05-01T00:00:00Z' }),
      sourceRecord({ ...dmitri, system: 'revenues', ref: 'RDF2', lines: ['2 FEN ROW', 'NORTHBY'], postcode: 'ZZ9 9FA', uprn: 300102, updatedAt: '2025-01-01T00:00:00Z' }),
      sourceRecord({ system: 'revenues', ref: 'RDF3', forenames: ['ESTHER'], surname: 'GOODBODY', dob: '1980-02-02', lines: ['2 FEN ROW', 'NORTHBY'], postcode: 'ZZ9 9FA', uprn: 300102 }),
      sourceRecord({ system: 'housing', ref: 'HDF4', forenames: ['FELIX'], surname: 'LONGSTAFF', dob: '1981-03-03', lines: ['1 FEN ROW', 'NORTHBY'], postcode: 'ZZ9 9FA', uprn: 300101 }),
    ]);
    await linkAll(await openLinkage(hub.db.pool, { tables: await loadPrepareTables() }));
    const accounts = await hub.db.pool.query<{ source_ref: string; ref: string }>(
      "SELECT l.source_ref, c.ref FROM citizen_link l JOIN citizen c ON c.id = l.citizen_id WHERE l.ended_at IS NULL AND l.source_ref LIKE '_DF_' ORDER BY 1");
    const refOf = Object.fromEntries(accounts.rows.map((r) => [r.source_ref, r.ref]));
    expect(refOf['HDF1']).toBe(refOf['RDF2']);
    const view = (await read(adviser, `/v1/citizens/${refOf['HDF1']}`)).json() as CitizenView;
    expect(view.addresses?.find((a) => a.current)?.uprn).toBe(300101);

    const occupants = async (uprn: number) => ((await read(adviser, `/v1/properties/${uprn}/occupants`)).json() as { citizens: CitizenView[] }).citizens.map((c) => c.ref).sort();
    expect(await occupants(300101)).toEqual([refOf['HDF1'], refOf['HDF4']].sort());
    expect(await occupants(300102)).toEqual([refOf['RDF3']]);
    const household = async (ref: string) => ((await read(adviser, `/v1/citizens/${ref}`)).json() as CitizenView).household?.map((m) => m.citizenRef);
    expect(await household(refOf['HDF4']!)).toEqual([refOf['HDF1']]);
    expect(await household(refOf['RDF3']!)).toEqual([]);
  });

  it('answers a read of a closed account as of one that does not exist, and keeps it for the DPO', async () => {
    const person = { forenames: ['PERPETUA'], surname: 'WINTERBOTTOM', dob: '1952-11-30', lines: ['2 SEDGE LANE', 'NORTHBY'], postcode: 'ZZ9 9WB' };
    await store(hub.db.pool, [
      sourceRecord({ ...person, system: 'housing', ref: 'HWB1' }), sourceRecord({ ...person, system: 'revenues', ref: 'RWB2' }),
      sourceRecord({ system: 'revenues', ref: 'RWB3', forenames: ['OSWIN'], surname: 'WINTERBOTTOM', dob: '1950-01-02', lines: ['4 SEDGE LANE', 'NORTHBY'], postcode: 'ZZ9 9WC' }),
    ]);
    await linkAll(await openLinkage(hub.db.pool, { tables: await loadPrepareTables() }));
    const [perpetua] = (await search('surname=WINTERBOTTOM&forename=PERPETUA')).citizens;
    const [oswin] = (await search('surname=WINTERBOTTOM&forename=OSWIN')).citizens;
    const linked = await hub.db.pool.query<{ source_ref: string }>(
      'SELECT l.source_ref FROM citizen_link l JOIN citizen c ON c.id = l.citizen_id WHERE c.ref = $1 AND l.ended_at IS NULL ORDER BY 1', [perpetua!.ref]);
    expect(linked.rows.map((r) => r.source_ref)).toEqual(['HWB1', 'RWB2']);
    const steward = await hub.keyFor('steward', 'Northby Council Data Quality');
    const as = (key: string, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
      hub.app.inject({ method, url, payload, headers: { authorization: `Bearer ${key}`, 'x-purpose': 'contact-centre-enquiry' } });
    const consent = await as(dpo, 'POST', `/v1/citizens/${perpetua!.ref}/consents`, {
      purpose: 'contact-centre-enquiry', recipientOrgId: null, from: '2026-01-01T00:00:00.000Z', to: null, channel: 'paper', evidence: 'form 7',
    });
    expect(consent.statusCode).toBe(201);
    // Her records go two ways, so whose the consent is only a person can say: the account is closed, not merged.
    expect((await as(steward, 'DELETE', `/v1/citizens/${perpetua!.ref}/links/housing/HWB1`)).statusCode).toBe(200);
    expect((await as(steward, 'POST', `/v1/citizens/${oswin!.ref}/links`, { system: 'revenues', sourceRef: 'RWB2' })).statusCode).toBe(200);
    expect((await hub.db.pool.query<{ status: string }>('SELECT status FROM citizen WHERE ref = $1', [perpetua!.ref])).rows[0]!.status).toBe('closed');

    const closed = await read(adviser, `/v1/citizens/${perpetua!.ref}`);
    expect(closed.statusCode).toBe(404);
    expect(closed.json()).toMatchObject({ code: 'not-found' });
    const consents = await as(dpo, 'GET', `/v1/citizens/${perpetua!.ref}/consents`);
    expect(consents.statusCode).toBe(200);
    expect((consents.json() as { consents: { id: string }[] }).consents.map((c) => c.id)).toEqual([(consent.json() as { id: string }).id]);
    const sar = await as(dpo, 'GET', `/v1/citizens/${perpetua!.ref}/subject-access`);
    expect(sar.statusCode).toBe(200);
    expect((sar.json() as { linkHistory: { kind: string }[] }).linkHistory.map((e) => e.kind)).toContain('close');
  });

  it('finds suffixed surnames by the surname alone, and only the generation asked for when the search gives one', async () => {
    await store(hub.db.pool, [
      sourceRecord({ system: 'revenues', ref: 'RQF1', forenames: ['ALBERT'], surname: 'QUILLFEATHER', suffix: 'JNR', dob: '1990-01-01', lines: ['9 OWL LANE', 'NORTHBY'], postcode: 'ZZ9 9QR' }),
      sourceRecord({ system: 'housing', ref: 'HQF2', forenames: ['BERNARD'], surname: 'QUILLFEATHER SR.', dob: '1958-05-05', lines: ['1 ROOK ROW', 'NORTHBY'], postcode: 'ZZ9 9QS' }),
    ]);
    await linkAll(await openLinkage(hub.db.pool, { tables: await loadPrepareTables() }));
    const forenames = async (surname: string) =>
      (await search(`surname=${encodeURIComponent(surname)}`)).citizens.map((c) => c.identity?.name.value.forenames[0]).sort();
    expect(await forenames('quillfeather')).toEqual(['ALBERT', 'BERNARD']);
    expect(await forenames('Quillfeather Jr')).toEqual(['ALBERT']);
    expect(await forenames('QUILLFEATHER SENIOR')).toEqual(['BERNARD']);
    expect(await forenames('QUILLFEATHER III')).toEqual([]);
    expect(await forenames('QUILL')).toEqual([]);
  });

  it('finds a surname however it is written: punctuation, spaces, hyphens, a part of a double-barrelled name', async () => {
    await store(hub.db.pool, [
      sourceRecord({ system: 'revenues', ref: 'ROC1', forenames: ['CIARAN'], surname: "O'CONNELLAN", dob: '1981-02-03', lines: ['2 WREN WALK', 'NORTHBY'], postcode: 'ZZ9 9RA' }),
      sourceRecord({ system: 'revenues', ref: 'RBH1', forenames: ['PERPETUA'], surname: 'WAXWING-HOLLOWAY', dob: '1979-12-30', lines: ['3 WREN WALK', 'NORTHBY'], postcode: 'ZZ9 9RA' }),
      sourceRecord({ system: 'housing', ref: 'HDL1', forenames: ['INES'], surname: 'DE LA QUINTANILLA', dob: '1992-06-07', lines: ['4 WREN WALK', 'NORTHBY'], postcode: 'ZZ9 9RA' }),
    ]);
    await linkAll(await openLinkage(hub.db.pool, { tables: await loadPrepareTables() }));
    const forenames = async (surname: string) =>
      (await search(`surname=${encodeURIComponent(surname)}`)).citizens.map((c) => c.identity?.name.value.forenames[0]).sort();
    for (const typed of ["O'CONNELLAN", 'OCONNELLAN', 'O’Connellan', 'o connellan']) expect(await forenames(typed), typed).toEqual(['CIARAN']);
    for (const typed of ['WAXWING-HOLLOWAY', 'WAXWINGHOLLOWAY', 'Waxwing Holloway', 'WAXWING', 'HOLLOWAY']) expect(await forenames(typed), typed).toEqual(['PERPETUA']);
    for (const typed of ['DE LA QUINTANILLA', 'DELAQUINTANILLA', 'QUINTANILLA']) expect(await forenames(typed), typed).toEqual(['INES']);
    // A part is a whole word: no prefix search.
    expect(await forenames('WAXWIN')).toEqual([]);
    expect(await forenames("O'")).toEqual([]);
  });

  it('finds a citizen by any of their phones and emails, not only the first (call pop-up, issue 7)', async () => {
    const record = sourceRecord({ system: 'housing', ref: 'HBT1', forenames: ['HORATIA'], surname: 'BLACKTHORNE', dob: '1977-09-21', lines: ['6 HEATH ROW', 'NORTHBY'], postcode: 'ZZ9 9HB' });
    const contact = (kind: 'phone' | 'email', value: string, valid = true) => ({ kind, value, raw: value, valid, use: null });
    record.contacts = [
      contact('phone', '+447911123461'), contact('email', 'h.blackthorne@example.org'), contact('phone', '+447911123462'),
      contact('email', 'Horatia.B@work.example.org'), contact('phone', '+447911123461'), contact('phone', '0791112346', false),
    ];
    await store(hub.db.pool, [record]);
    await linkAll(await openLinkage(hub.db.pool, { tables: await loadPrepareTables() }));
    const [horatia] = (await search('surname=BLACKTHORNE&forename=HORATIA')).citizens;
    const view = (await read(adviser, `/v1/citizens/${horatia!.ref}`)).json() as CitizenView;
    expect(view.contact?.map((c) => c.contact.value).sort()).toEqual(['+447911123461', '+447911123462', 'Horatia.B@work.example.org', 'h.blackthorne@example.org']);

    const refs = async (query: string) => (await search(query)).citizens.map((c) => c.ref);
    for (const phone of ['07911 123461', '07911 123462', '+44 7911 123462']) expect(await refs(`phone=${encodeURIComponent(phone)}`), phone).toEqual([horatia!.ref]);
    for (const email of ['h.blackthorne@example.org', 'Horatia.B@work.example.org', 'HORATIA.B@WORK.EXAMPLE.ORG']) {
      expect(await refs(`email=${encodeURIComponent(email)}`), email).toEqual([horatia!.ref]);
    }
    expect(await refs(`phone=07911123462&surname=BLACKTHORNE`)).toEqual([horatia!.ref]);
    // An invalid number is never search evidence, nor a number the record does not hold.
    expect(await refs('phone=0791112346')).toEqual([]);
    expect(await refs('phone=07911123463')).toEqual([]);
  });

  it('reads every account in one query: its current records, the references merged into it, its household; a merged reference redirects', async () => {
    const source = new LinkedCitizenSource(hub.db.pool);
    /** Checks every account against its stored links; returns how many views have a household, so the check is known to cover some. */
    const same = async () => {
      const { rows } = await hub.db.pool.query<{ ref: string; survivor: string | null; records: string[]; merged: string[] }>(
        `SELECT c.ref, s.ref AS survivor,
                ARRAY(SELECT l.system || '|' || l.source_ref FROM citizen_link l WHERE l.citizen_id = c.id AND l.ended_at IS NULL ORDER BY 1) AS records,
                ARRAY(SELECT m.ref FROM citizen m WHERE m.merged_into = c.id ORDER BY m.ref) AS merged
           FROM citizen c LEFT JOIN citizen s ON s.id = c.merged_into ORDER BY c.id`,
      );
      let withHousehold = 0;
      for (const { ref, survivor, records, merged } of rows) {
        const lookup = await source.view(ref, '2026-06-01');
        if (survivor !== null) {
          expect(lookup, ref).toEqual({ redirectTo: survivor });
          continue;
        }
        if (!lookup || !('view' in lookup)) return expect.fail(`a view of ${ref}`);
        expect(lookup.view.ref).toBe(ref);
        expect(lookup.mergedRefs, ref).toEqual(merged);
        expect((lookup.view.sourceRecords ?? []).map((r) => `${r.system}|${r.sourceRef}`).sort(), ref).toEqual([...records].sort());
        if ((lookup.view.household?.length ?? 0) > 0) withHousehold += 1;
      }
      return withHousehold;
    };
    expect(await same()).toBeGreaterThan(0);

    const client = await hub.db.pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query<{ id: number }>("SELECT id FROM citizen WHERE status = 'active' ORDER BY id LIMIT 3");
      await mergeCitizens(client, rows[0]!.id, rows[1]!.id, MODEL);
      await mergeCitizens(client, rows[0]!.id, rows[2]!.id, MODEL);
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    expect(await same()).toBeGreaterThan(0);
    expect(await source.view('C-NO-SUCH', '2026-06-01')).toBeNull();
  });

  it('gives the records indexed before every phone and email their features hold now (migration 054), as linkage gives them', async () => {
    const features = async () => (await hub.db.pool.query<{ key: string; features: Record<string, unknown> }>(
      "SELECT system || '|' || source_ref AS key, features FROM person_record ORDER BY 1")).rows;
    const before = await features();
    expect(before.filter((r) => (r.features['phones'] as string[]).length > 1).map((r) => r.key)).toContain('housing|HBT1');
    // 054 and every migration after it (they would be out of order with 054 undone alone), then up again.
    const names = await migrationNames();
    const count = names.length - names.indexOf('054_search_every_contact');
    await runner({ databaseUrl: hub.db.url, dir: MIGRATIONS_DIR, direction: 'down', count, migrationsTable: 'pgmigrations', log: () => undefined });
    expect((await features()).filter((r) => 'phones' in r.features || 'emails' in r.features)).toEqual([]);
    await migrate(hub.db.url);
    expect(await features()).toEqual(before);
    expect((await search('phone=07911123462')).count).toBe(1);
  });
});
