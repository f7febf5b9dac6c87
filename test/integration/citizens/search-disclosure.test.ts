/**
 * What a search tells beyond the views it lists. A match tells the caller
 * that the person has the phone number, email address, address or card
 * searched for, so it is made only for a caller who may see that category
 * (issue 7: "denied categories are removed before the response is built");
 * and neither the count nor the pages of a search with more candidates than
 * it counts may change with a hidden person among them ("search results and
 * counts never reveal hidden people"). Real citizen source, real database,
 * through HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CitizenView } from '../../../schemas/citizen-view.js';
import type { SourceRecord } from '../../../schemas/source-record.js';
import { createClient } from '../../../src/auth/clients.js';
import { createCitizen, MODEL } from '../../../src/linkage/accounts.js';
import { personFeatures } from '../../../src/linkage/features.js';
import { createTestHub, type TestHub } from '../../support/app.js';
import { sourceRecord, store } from '../linkage/people.js';
import { createRegisterHub, person, type RegisterHub } from './support.js';

type List = { count: number; more?: boolean; citizens: CitizenView[] };
interface Row { citizen_ref: string | null; decision: string; categories_disclosed: string[]; categories_denied: string[]; agreements: unknown[]; review_required: boolean }

const ALL = ['identity', 'contact', 'address', 'household', 'revenues', 'housing', 'social-care', 'health-disability', 'concessions', 'service-involvement', 'safeguarding'];

describe('what a search tells', () => {
  let hub: TestHub;
  let dpo: string;
  /** The citizen reference of each source record created, by source reference. */
  const refs = new Map<string, string>();

  /** Stores the records and gives each its own account, or the account of the record named in `into`. */
  async function citizens(records: SourceRecord[], into: Record<string, string> = {}): Promise<void> {
    await store(hub.db.pool, records);
    const client = await hub.db.pool.connect();
    try {
      await client.query('BEGIN');
      for (const record of records) {
        await client.query(`INSERT INTO person_record (system, source_ref, source_record_id, features)
          SELECT system, source_ref, id, $3 FROM source_record WHERE current AND system = $1 AND source_ref = $2`,
        [record.system, record.sourceRef, JSON.stringify(personFeatures(record))]);
        const owner = into[record.sourceRef];
        if (owner) {
          const { rows } = await client.query<{ id: string }>('SELECT id FROM citizen WHERE ref = $1', [refs.get(owner)]);
          await client.query("INSERT INTO citizen_link (citizen_id, system, source_ref, linked_by) VALUES ($1, $2, $3, 'model')", [rows[0]!.id, record.system, record.sourceRef]);
          refs.set(record.sourceRef, refs.get(owner)!);
        } else {
          const id = await createCitizen(client, MODEL, { system: record.system, sourceRef: record.sourceRef, linkedBy: 'model' });
          refs.set(record.sourceRef, (await client.query<{ ref: string }>('SELECT ref FROM citizen WHERE id = $1', [id])).rows[0]!.ref);
        }
      }
      await client.query('COMMIT');
    } finally {
      client.release();
    }
  }

  /** An adviser of a new organisation under an agreement for contact-centre enquiries giving `categories` (none: no agreement). */
  async function reader(org: string, categories: string[] | null, lawfulBasis = 'public-task'): Promise<{ key: string; clientId: number }> {
    const { key, client } = await createClient(hub.db.pool, { org, role: 'adviser' });
    if (categories) {
      const created = await hub.app.inject({
        method: 'POST', url: '/v1/register/agreements', headers: { authorization: `Bearer ${dpo}` },
        payload: {
          id: `ISA-${client.orgId}`, title: org, parties: { provider: { orgId: client.orgId }, recipients: [client.orgId] }, roles: null,
          purposes: ['contact-centre-enquiry'], categories, lawfulBasis, art9Condition: null, legalGateway: 'Local Government Act 1972 s.111',
          dpiaReference: 'DPIA-7', startDate: '2026-01-01', endDate: null, reviewDate: '2027-06-01', status: 'active',
        },
      });
      expect(created.statusCode, created.body).toBe(201);
    }
    return { key, clientId: client.id };
  }

  const get = async (key: string, url: string, headers: Record<string, string> = { 'x-purpose': 'contact-centre-enquiry' }): Promise<List> => {
    const response = await hub.app.inject({ url, headers: { authorization: `Bearer ${key}`, ...headers } });
    expect(response.statusCode, response.body).toBe(200);
    return response.json() as List;
  };
  const entries = async (clientId: number, action = 'citizen.search') => (await hub.db.pool.query<Row>(
    `SELECT citizen_ref, decision, categories_disclosed, categories_denied, agreements, review_required
       FROM audit_log WHERE client_id = $1 AND action = $2 ORDER BY seq`, [clientId, action])).rows;

  beforeAll(async () => {
    hub = await createTestHub();
    dpo = await hub.keyFor('dpo', 'Northby Council Information Governance');
    const quentin = { forenames: ['QUENTIN'], surname: 'QUAYLE', dob: '1958-04-09', lines: ['7 HERON WAY', 'NORTHBY'], postcode: 'ZZ9 7QQ', uprn: 700007 };
    await citizens([sourceRecord({ ...quentin, system: 'revenues', ref: 'RQQ1', phone: '+447534711925', email: 'q.quayle@example.org' })]);
    const { lines: _lines, ...cardholder } = quentin;
    await citizens([sourceRecord({ ...cardholder, system: 'smartcard', ref: 'SC7700123' })], { SC7700123: 'RQQ1' });
    // More people of one name than a search counts: ranked alike, so by reference.
    await citizens(Array.from({ length: 150 }, (_, i) => sourceRecord({
      system: 'revenues', ref: `RJ${String(i).padStart(3, '0')}`, forenames: ['JUNIPER'], surname: `BRANTWOOD${String.fromCharCode(65 + (i % 26))}`,
      dob: '1970-01-01', lines: [`${i + 1} LONG ROW`, 'NORTHBY'], postcode: 'ZZ9 8JJ',
    })));
  }, 120_000);
  afterAll(async () => hub.close());

  describe('criteria and the categories they test', () => {
    let identity: { key: string; clientId: number };
    let stranger: { key: string; clientId: number };
    /** One reader per category besides identity. */
    const withCategory = new Map<string, { key: string; clientId: number }>();

    beforeAll(async () => {
      identity = await reader('Northby Housing Association', ['identity']);
      stranger = await reader('Northby Lettings', null);
      for (const category of ['contact', 'address', 'concessions']) withCategory.set(category, await reader(`Northby ${category} partner`, ['identity', category]));
    });

    const CRITERIA: [string, string][] = [
      ['phone=07534711925', 'contact'],
      ['phone=%2B44%207534%20711925', 'contact'],
      ['email=Q.Quayle%40example.org', 'contact'],
      ['postcode=ZZ9%207QQ&surname=QUAYLE', 'address'],
      ['uprn=700007', 'address'],
      ['cardNumber=SC7700123', 'concessions'],
    ];

    it.each(CRITERIA)('finds nobody by %s for a caller who may see identity only, and the person for one who may see %s', async (query, category) => {
      const hidden = await get(identity.key, `/v1/citizens?${query}`);
      expect(hidden).toEqual({ count: 0, citizens: [] });
      // Whom it finds by what identity holds.
      for (const known of ['surname=QUAYLE', 'forename=QUENTIN&dob=1958-04-09']) {
        expect((await get(identity.key, `/v1/citizens?${known}`)).citizens.map((c) => c.ref), known).toEqual([refs.get('RQQ1')]);
      }
      const found = await get(withCategory.get(category)!.key, `/v1/citizens?${query}`);
      expect(found.count).toBe(1);
      expect(found.citizens.map((c) => c.ref)).toEqual([refs.get('RQQ1')]);
    });

    it("lists a property's occupants only to a caller who may see where they live", async () => {
      expect(await get(identity.key, '/v1/properties/700007/occupants')).toEqual({ count: 0, citizens: [] });
      expect((await get(withCategory.get('address')!.key, '/v1/properties/700007/occupants')).citizens.map((c) => c.ref)).toEqual([refs.get('RQQ1')]);
    });

    it('audits a citizen the criteria hid as a denial, exactly as one the caller may see nothing of', async () => {
      await get(identity.key, '/v1/citizens?phone=07534711925');
      await get(stranger.key, '/v1/citizens?phone=07534711925');
      const shape = (r: Row) => ({ citizen: r.citizen_ref, decision: r.decision, disclosed: r.categories_disclosed, denied: r.categories_denied, agreements: r.agreements });
      const [byCriteria] = (await entries(identity.clientId)).filter((r) => r.citizen_ref === refs.get('RQQ1')).slice(-1);
      const [byPolicy] = (await entries(stranger.clientId)).slice(-1);
      expect(shape(byCriteria!)).toEqual(shape(byPolicy!));
      expect(shape(byCriteria!)).toEqual({ citizen: refs.get('RQQ1'), decision: 'deny', disclosed: [], denied: ALL, agreements: [] });
      await get(identity.key, '/v1/properties/700007/occupants');
      const [occupant] = (await entries(identity.clientId, 'property.occupants')).slice(-1);
      expect(shape(occupant!)).toEqual(shape(byPolicy!));
    });

    it('records on a match the categories its criteria tested, even those its view does not show', async () => {
      // Concessions without service involvement: the view lists no smartcard record, but the match told the card is theirs.
      const reader = withCategory.get('concessions')!;
      const found = await get(reader.key, '/v1/citizens?cardNumber=SC7700123');
      expect(found.citizens[0]!.sourceRecords).toBeUndefined();
      expect(JSON.stringify(found)).not.toContain('SC7700123');
      const [entry] = (await entries(reader.clientId)).slice(-1);
      expect(entry).toMatchObject({ citizen_ref: refs.get('RQQ1'), decision: 'partial' });
      expect(entry!.categories_disclosed).toEqual(['identity', 'concessions']);
    });

    it('under break-glass finds by what break-glass opens (phone) and not by a smartcard (concessions), flagged for review', async () => {
      const emergency = { 'x-purpose': 'emergency', 'x-break-glass-reason': 'caller collapsed on the phone to the contact centre' };
      // Nothing without an agreement allowing break-glass.
      expect(await get(identity.key, '/v1/citizens?phone=07534711925', emergency)).toEqual({ count: 0, citizens: [] });
      const { rows: [org] } = await hub.db.pool.query<{ org_id: string }>('SELECT org_id FROM api_client WHERE id = $1', [identity.clientId]);
      const orgId = Number(org!.org_id);
      const allowed = await hub.app.inject({
        method: 'POST', url: '/v1/register/agreements', headers: { authorization: `Bearer ${dpo}` },
        payload: {
          id: 'ISA-BG', title: 'Break-glass', parties: { provider: { orgId }, recipients: [orgId] }, roles: null, purposes: ['emergency'],
          categories: ['identity', 'contact', 'address', 'health-disability', 'safeguarding'], lawfulBasis: 'vital-interests',
          art9Condition: { condition: 'c', text: '9(2)(c) vital interests' }, legalGateway: 'UK GDPR Art. 6(1)(d)', dpiaReference: null,
          startDate: '2026-01-01', endDate: null, reviewDate: null, status: 'active',
        },
      });
      expect(allowed.statusCode, allowed.body).toBe(201);
      expect((await get(identity.key, '/v1/citizens?phone=07534711925', emergency)).citizens.map((c) => c.ref)).toEqual([refs.get('RQQ1')]);
      expect(await get(identity.key, '/v1/citizens?cardNumber=SC7700123', emergency)).toEqual({ count: 0, citizens: [] });
      const rows = (await hub.db.pool.query<Row & { purpose: string }>(
        "SELECT citizen_ref, decision, categories_disclosed, review_required FROM audit_log WHERE client_id = $1 AND purpose = 'emergency' ORDER BY seq",
        [identity.clientId])).rows;
      expect(rows.map((r) => [r.decision, r.categories_disclosed, r.review_required])).toEqual([
        ['deny', [], true],
        ['partial', expect.arrayContaining(['identity', 'contact']), true],
        ['deny', [], true],
      ]);
    });
  });

  describe('counts and pages with more candidates than a search counts', () => {
    let adviser: { key: string; clientId: number };
    /** The first 100 JUNIPERs the adviser could see before anybody was hidden. */
    let before: string[];
    const everyone = async (key: string, query: string) => {
      const first = await get(key, `/v1/citizens?${query}&limit=50`);
      const second = await get(key, `/v1/citizens?${query}&limit=50&offset=50`);
      expect(second.count).toBe(first.count);
      return { count: first.count, more: first.more, refs: [...first.citizens, ...second.citizens].map((c) => c.ref) };
    };
    /** Every JUNIPER, in the order a search ranks them (alike, so by reference). */
    const ranked = () => [...Array(150).keys()].map((i) => refs.get(`RJ${String(i).padStart(3, '0')}`)!).sort();

    beforeAll(async () => {
      adviser = await reader('Northby Council Contact Centre', ['identity', 'contact', 'address']);
      const all = await everyone(adviser.key, 'forename=JUNIPER');
      expect({ count: all.count, refs: all.refs }).toEqual({ count: 100, refs: ranked().slice(0, 100) });
      before = all.refs;
    });

    it('counts and pages as if a hidden top candidate did not exist', async () => {
      expect((await everyone(adviser.key, 'forename=JUNIPER')).more).toBe(true);
      const restricted = await hub.app.inject({
        method: 'POST', url: `/v1/citizens/${before[0]}/restrictions`, headers: { authorization: `Bearer ${dpo}` },
        payload: { from: '2026-01-01T00:00:00.000Z', to: null, reason: 'accuracy contested (Art. 18(1)(a))' },
      });
      expect(restricted.statusCode).toBe(201);
      const expected = ranked().filter((ref) => ref !== before[0]).slice(0, 100);
      expect(await everyone(adviser.key, 'forename=JUNIPER')).toEqual({ count: 100, more: true, refs: expected });
      expect(expected.slice(0, 99)).toEqual(before.slice(1));
      const top = await get(adviser.key, '/v1/citizens?forename=J&limit=1');
      expect({ count: top.count, more: top.more, refs: top.citizens.map((c) => c.ref) }).toEqual({ count: 100, more: true, refs: [before[1]] });
      const last = await get(adviser.key, '/v1/citizens?forename=JUNIPER&offset=99&limit=5');
      expect(last.citizens.map((c) => c.ref)).toEqual([expected[99]]);
      // The hidden one is audited as a denial; the search weighed one candidate more than without it.
      const [denied] = (await entries(adviser.clientId)).filter((r) => r.citizen_ref === before[0]).slice(-1);
      expect(denied!.decision).toBe('deny');
    });

    it('finds the people a consent-based agreement shows however far down the candidates they are', async () => {
      const partner = await reader('Northby Advice Service', ['identity'], 'consent');
      const consenting = [ranked()[120]!, ranked()[149]!];
      for (const ref of consenting) {
        const consent = await hub.app.inject({
          method: 'POST', url: `/v1/citizens/${ref}/consents`, headers: { authorization: `Bearer ${dpo}` },
          payload: { purpose: 'contact-centre-enquiry', recipientOrgId: null, from: '2026-01-01T00:00:00.000Z', to: null, channel: 'paper', evidence: 'form 12' },
        });
        expect(consent.statusCode).toBe(201);
      }
      const found = await get(partner.key, '/v1/citizens?forename=JUNIPER');
      expect(found.count).toBe(2);
      expect(found.more).toBeUndefined();
      expect(found.citizens.map((c) => c.ref)).toEqual(consenting);
    });

    it('weighs only the first round of candidates for a caller no agreement lets see anyone', async () => {
      const nobody = await reader('Northby Estate Agents', null);
      expect(await get(nobody.key, '/v1/citizens?forename=JUNIPER')).toEqual({ count: 0, citizens: [] });
      // One more than the cap: none could be shown, so the other 49 need not be decided (each an audited denial).
      const denials = await entries(nobody.clientId);
      expect(denials).toHaveLength(101);
      expect(denials.every((r) => r.decision === 'deny')).toBe(true);
    });
  });
});

describe('how far a search looks', () => {
  let hub: RegisterHub;
  let dpo: string;
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });

  beforeAll(async () => {
    hub = await createRegisterHub();
    for (let i = 0; i < 1_100; i++) hub.source.add(person(`W${String(i).padStart(4, '0')}`, 'WAYFARER'));
    dpo = (await hub.key('dpo', 'Northby Council Information Governance')).key;
  }, 60_000);
  afterAll(async () => hub.close());

  it('weighs at most 1,000 candidates, and says there may be more when it stops short', async () => {
    const partner = await hub.key('adviser', 'Northby Advice Service');
    const created = await hub.app.inject({
      method: 'POST', url: '/v1/register/agreements', headers: auth(dpo),
      payload: {
        id: 'ISA-W', title: 'Advice', parties: { provider: { orgId: partner.orgId }, recipients: [partner.orgId] }, roles: null,
        purposes: ['contact-centre-enquiry'], categories: ['identity'], lawfulBasis: 'consent', art9Condition: null,
        legalGateway: 'Local Government Act 1972 s.111', dpiaReference: null, startDate: '2026-01-01', endDate: null, reviewDate: null, status: 'active',
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    // Consented: one among the first 1,000 candidates, one beyond them.
    for (const ref of ['W0950', 'W1050']) {
      const consent = await hub.app.inject({
        method: 'POST', url: `/v1/citizens/${ref}/consents`, headers: auth(dpo),
        payload: { purpose: 'contact-centre-enquiry', recipientOrgId: null, from: '2026-01-01T00:00:00.000Z', to: null, channel: 'paper', evidence: 'form 3' },
      });
      expect(consent.statusCode).toBe(201);
    }
    const response = await hub.app.inject({ url: '/v1/citizens?surname=WAYFARER', headers: { ...auth(partner.key), 'x-purpose': 'contact-centre-enquiry' } });
    expect(response.statusCode).toBe(200);
    const found = response.json() as { count: number; more?: boolean; citizens: CitizenView[] };
    expect({ count: found.count, more: found.more, refs: found.citizens.map((c) => c.ref) }).toEqual({ count: 1, more: true, refs: ['W0950'] });
    const { rows } = await hub.db.pool.query<{ denials: string }>(
      "SELECT count(*) AS denials FROM audit_log WHERE client_id = $1 AND action = 'citizen.search' AND decision = 'deny'", [partner.clientId]);
    expect(Number(rows[0]!.denials)).toBe(999);
  });
});
