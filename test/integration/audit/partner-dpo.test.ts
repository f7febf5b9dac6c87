import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../../src/auth/clients.js';
import { citizenRef } from '../../../src/linkage/reference.js';
import { createRegisterHub, person, type RegisterHub } from '../citizens/support.js';

/**
 * A partner organisation's DPO lists the disclosures made to its own
 * organisation, and nothing the council's DPO alone may see: not another
 * organisation's entries, not why categories were refused (the reasons name
 * the citizen's consents, objections and restrictions), not the people a
 * refused read or search found but hid.
 */
describe("a partner organisation's DPO and the audit trail", () => {
  const SHOWN = citizenRef(1);
  const HIDDEN = citizenRef(2);
  const OLD = citizenRef(3);
  let hub: RegisterHub;
  let councilDpo: string;
  let council: number;
  let police: number;
  let policeDpo: string;
  let policeCaseworker: string;
  let councilAdviser: string;
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const get = (url: string, key: string, headers: Record<string, string> = {}) => hub.app.inject({ url, headers: { ...auth(key), ...headers } });
  const post = (url: string, key: string, payload: object) => hub.app.inject({ method: 'POST', url, headers: auth(key), payload });
  const safeguarding = { 'x-purpose': 'safeguarding' };
  interface Listed { requestId: string; orgId: number; action: string; citizenRef: string | null; decision: string; reasons: object; consentIds: string[]; hash?: string }
  const listed = async (query: string, key = policeDpo): Promise<Listed[]> => {
    const response = await get(`/v1/audit/disclosures${query}`, key);
    expect(response.statusCode, response.body).toBe(200);
    return (response.json() as { entries: Listed[] }).entries.filter((e) => e.action !== 'audit.disclosures.list');
  };
  const requestOf = (response: { headers: Record<string, unknown> }) => String(response.headers['x-request-id']);

  let searchBoth: string;
  let searchHidden: string;
  let readHidden: string;

  beforeAll(async () => {
    hub = await createRegisterHub();
    hub.source.add(person(SHOWN, 'ALPHA')).add(person(HIDDEN, 'ALPHA', { phone: '+447700900002' }));
    hub.source.merged.set(OLD, SHOWN);
    const d = await hub.key('dpo', 'Northby Council');
    councilDpo = d.key;
    council = d.orgId;
    police = (await post('/v1/register/organisations', councilDpo, { name: 'Northby Police', kind: 'police' })).json().id as number;
    const made = await createClient(hub.db.pool, { org: 'Northby Police', role: 'dpo' });
    policeDpo = made.key;
    policeCaseworker = (await hub.key('caseworker', 'Northby Police')).key;
    councilAdviser = (await hub.key('adviser', 'Northby Council')).key;
    const agreement = await post('/v1/register/agreements', councilDpo, {
      id: 'ISA-POLICE', title: 'Safeguarding', parties: { provider: { orgId: council }, recipients: [police] }, roles: null, purposes: ['safeguarding'],
      categories: ['identity', 'contact', 'address'], lawfulBasis: 'consent', art9Condition: null, legalGateway: 'Crime and Disorder Act 1998 s.115',
      dpiaReference: null, startDate: '2026-01-01', endDate: null, reviewDate: null, status: 'active',
    });
    expect(agreement.statusCode, agreement.body).toBe(201);
    // SHOWN consented to the police; HIDDEN did not, so the police see nothing of HIDDEN.
    const consent = await post(`/v1/citizens/${SHOWN}/consents`, councilDpo, {
      purpose: 'safeguarding', recipientOrgId: police, from: '2026-06-01T00:00:00Z', to: null, channel: 'paper', evidence: 'form',
    });
    expect(consent.statusCode, consent.body).toBe(201);

    expect((await get(`/v1/citizens/${SHOWN}`, policeCaseworker, safeguarding)).statusCode).toBe(200);
    const hidden = await get(`/v1/citizens/${HIDDEN}`, policeCaseworker, safeguarding);
    expect(hidden.statusCode).toBe(404);
    readHidden = requestOf(hidden);
    const both = await get('/v1/citizens?surname=ALPHA', policeCaseworker, safeguarding);
    expect(both.json()).toMatchObject({ count: 1, citizens: [{ ref: SHOWN }] });
    searchBoth = requestOf(both);
    const onlyHidden = await get('/v1/citizens?phone=%2B447700900002', policeCaseworker, safeguarding);
    expect(onlyHidden.json()).toMatchObject({ count: 0 });
    searchHidden = requestOf(onlyHidden);
    // The council's own reads: not the police's to see.
    expect((await get(`/v1/citizens/${HIDDEN}`, councilAdviser, { 'x-purpose': 'contact-centre-enquiry' })).statusCode).toBe(404);
  });
  afterAll(async () => hub.close());

  it("lists its own organisation's entries only, and refuses another organisation's", async () => {
    const entries = await listed('');
    expect(entries.length).toBeGreaterThan(0);
    expect(new Set(entries.map((e) => e.orgId))).toEqual(new Set([police]));
    expect(await listed(`?org=${police}`)).toEqual(entries);
    const other = await get(`/v1/audit/disclosures?org=${council}`, policeDpo);
    expect(other.json()).toMatchObject({ status: 403, code: 'forbidden' });
    // The council's DPO sees both organisations' entries.
    expect(new Set((await listed('', councilDpo)).map((e) => e.orgId))).toEqual(new Set([police, council]));
  });

  it("is not told the reasons, consent ids or hash, which name the citizen's register records", async () => {
    const council = (await listed(`?citizen=${SHOWN}&action=citizen.read`, councilDpo))[0]!;
    expect(council).toMatchObject({ decision: 'partial', consentIds: [expect.stringMatching(/^CON-/)], hash: expect.any(String) });
    expect(Object.keys(council.reasons).length).toBeGreaterThan(0);
    const own = (await listed(`?citizen=${SHOWN}&action=citizen.read`))[0]!;
    expect(own).toMatchObject({ requestId: council.requestId, citizenRef: SHOWN, decision: 'partial', consentIds: [], reasons: {} });
    expect(own).not.toHaveProperty('hash');
  });

  it('sees refusals without their citizen, one for a request that disclosed nothing, none beside what a request disclosed', async () => {
    const byRequest = (entries: Listed[], id: string) => entries.filter((e) => e.requestId === id).map((e) => [e.citizenRef, e.decision]);
    const council = await listed(`?org=${police}`, councilDpo);
    expect(byRequest(council, readHidden)).toEqual([[HIDDEN, 'deny']]);
    expect(byRequest(council, searchBoth)).toEqual(expect.arrayContaining([[SHOWN, 'partial'], [HIDDEN, 'deny']]));
    expect(byRequest(council, searchHidden)).toEqual([[HIDDEN, 'deny']]);

    const own = await listed('');
    expect(byRequest(own, readHidden)).toEqual([[null, 'deny']]);
    expect(byRequest(own, searchBoth)).toEqual([[SHOWN, 'partial']]);
    expect(byRequest(own, searchHidden)).toEqual([[null, 'deny']]);
    expect(own.filter((e) => e.decision === 'deny').every((e) => e.citizenRef === null)).toBe(true);
    expect(JSON.stringify(own)).not.toContain(HIDDEN);
  });

  it('lists by citizen only what was disclosed about the reference given', async () => {
    expect(await listed(`?citizen=${HIDDEN}`)).toEqual([]);
    expect((await listed(`?citizen=${HIDDEN}`, councilDpo)).length).toBeGreaterThan(0);
    // Which references the council merged is not told: the old reference lists nothing of the survivor's.
    expect(await listed(`?citizen=${OLD}`)).toEqual([]);
    expect((await listed(`?citizen=${OLD}`, councilDpo)).map((e) => e.citizenRef)).toContain(SHOWN);
  });

  it("still reaches none of the council DPO's other routes", async () => {
    for (const url of [`/v1/citizens/${SHOWN}/subject-access`, `/v1/citizens/${SHOWN}/access-explanation?org=${police}&purpose=safeguarding`,
      '/v1/audit/verify', '/v1/register/agreements', `/v1/citizens/${SHOWN}/consents`]) {
      expect((await get(url, policeDpo)).json(), url).toMatchObject({ status: 403, code: 'council-organisation-required' });
    }
    expect((await post('/v1/audit/reviews', policeDpo, { seqs: [1], outcome: 'justified', note: 'checked' })).json())
      .toMatchObject({ status: 403, code: 'council-organisation-required' });
    // A DPO reads no citizen, of any organisation.
    expect((await get(`/v1/citizens/${SHOWN}`, policeDpo, safeguarding)).statusCode).toBe(404);
  });
});
