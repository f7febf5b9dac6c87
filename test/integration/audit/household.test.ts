/**
 * A citizen view may name the other members of the household. The read's
 * audit entry records the members it named (householdRefs), so that each
 * member's subject access and the DPO's citizen filter show who was told
 * their name, and why; a member the view hid is not recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CitizenView } from '../../../schemas/citizen-view.js';
import type { StoredAuditEntry } from '../../../src/audit/store.js';
import { citizenRef } from '../../../src/linkage/reference.js';
import { createRegisterHub, person, type RegisterHub } from '../citizens/support.js';

describe('household members named by a disclosed view', () => {
  // Citizen references as the hub issues them: the DPO's citizen filter takes no other.
  const [C1, C2, C3, D1, G1, G2, G3] = [citizenRef(1), citizenRef(2), citizenRef(3), citizenRef(4), citizenRef(5), citizenRef(6), citizenRef(7)];
  let hub: RegisterHub;
  let dpo: string;
  let adviser: { key: string; clientId: number; orgId: number };
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const read = (path: string) => hub.app.inject({ url: path, headers: { ...auth(adviser.key), 'x-purpose': 'contact-centre-enquiry' } });
  const post = async (path: string, payload: object) => {
    const response = await hub.app.inject({ method: 'POST', url: path, headers: auth(dpo), payload });
    expect(response.statusCode, response.body).toBe(201);
  };
  const subjectAccessLog = async (ref: string) => {
    const response = await hub.app.inject({ url: `/v1/citizens/${ref}/subject-access`, headers: auth(dpo) });
    expect(response.statusCode, response.body).toBe(200);
    return (response.json() as { disclosures: StoredAuditEntry[] }).disclosures;
  };
  const listed = async (citizen: string) => {
    const response = await hub.app.inject({ url: `/v1/audit/disclosures?citizen=${citizen}`, headers: auth(dpo) });
    expect(response.statusCode, response.body).toBe(200);
    return (response.json() as { entries: StoredAuditEntry[] }).entries;
  };
  /** The entries of a subject access export about someone else that named the person as a household member. */
  const namedIn = (entries: Array<Partial<StoredAuditEntry> & { namedAs?: string }>) =>
    entries.filter((e) => e.namedAs === 'household-member' && e.clientId === adviser.clientId && e.action === 'citizen.read');
  /** The entries of reads of `ref` by the adviser. */
  const readsOf = (entries: StoredAuditEntry[], ref: string, action = 'citizen.read') =>
    entries.filter((e) => e.citizenRef === ref && e.action === action && e.clientId === adviser.clientId);

  beforeAll(async () => {
    hub = await createRegisterHub();
    const withHousehold = (ref: string, surname: string, members: string[], uprn: number) => {
      const view = person(ref, surname, { uprn });
      view.household = members.map((m) => ({ citizenRef: m, name: `TESTA ${m}` }));
      return view;
    };
    hub.source
      .add(withHousehold(C1, 'ALPHA', [C3, C2], 100000001)).add(person(C2, 'HIDDEN')).add(person(C3, 'BRAVO'))
      .add(withHousehold(D1, 'DELTA', [C2], 100000002))
      .add(withHousehold(G1, 'GOLF', [G2], 100000003)).add(person(G2, 'OLDREF', { uprn: 100000003 })).add(person(G3, 'SURVIVOR'));
    dpo = (await hub.key('dpo', 'Northby Council Information Governance')).key;
    adviser = await hub.key('adviser', 'Northby Council Contact Centre');
    await post('/v1/register/agreements', {
      id: 'ISA-1', title: 'Contact centre', parties: { provider: { orgId: adviser.orgId }, recipients: [adviser.orgId] }, roles: null,
      purposes: ['contact-centre-enquiry'], categories: ['identity', 'contact', 'address', 'household'], lawfulBasis: 'public-task',
      art9Condition: null, legalGateway: 'Local Government Act 1972 s.111', dpiaReference: null, startDate: '2026-01-01', endDate: null,
      reviewDate: null, status: 'active',
    });
    await post(`/v1/citizens/${C2}/restrictions`, { from: '2026-06-01T00:00:00.000Z', to: null, reason: 'accuracy contested (Art. 18(1)(a))' });
  });
  afterAll(async () => hub.close());

  it("lists a read of C1 that named C3 in C3's subject access and under citizen=C3: who, why, what", async () => {
    const one = await read(`/v1/citizens/${C1}`);
    expect(one.statusCode).toBe(200);
    expect((one.json() as CitizenView).household).toEqual([{ citizenRef: C3, name: `TESTA ${C3}` }]);
    // A second read, once the organisation's agreements are cached, may be gathered with others (one insert of the batch).
    expect((await read(`/v1/citizens/${C1}`)).statusCode).toBe(200);

    const filtered = readsOf(await listed(C3), C1);
    expect(filtered.map((e) => e.householdRefs)).toEqual([[C3], [C3]]);
    expect(filtered[0]).toMatchObject({
      clientId: adviser.clientId, orgId: adviser.orgId, role: 'adviser', purpose: 'contact-centre-enquiry', householdRefs: [C3],
      categoriesDisclosed: expect.arrayContaining(['identity', 'household']),
      fieldsDisclosed: expect.arrayContaining(['household[].citizenRef', 'household[].name']),
    });
    // C3's own export keeps of those reads only what concerns C3: not C1's reference, nor what else was shown of C1 (Art. 15(4)).
    const named = namedIn(await subjectAccessLog(C3));
    expect(named.map((e) => e.seq)).toEqual(filtered.map((e) => e.seq));
    expect(named[0]).toMatchObject({
      clientId: adviser.clientId, orgId: adviser.orgId, role: 'adviser', purpose: 'contact-centre-enquiry', namedAs: 'household-member',
      householdRefs: [C3], categoriesDisclosed: ['household'], fieldsDisclosed: ['household[].citizenRef', 'household[].name'],
    });
    expect(named[0]).not.toHaveProperty('citizenRef');
  });

  it('records searches and occupants that named a member too', async () => {
    expect((await read('/v1/citizens?surname=ALPHA')).statusCode).toBe(200);
    expect((await read('/v1/properties/100000001/occupants')).statusCode).toBe(200);
    const entries = await listed(C3);
    expect(readsOf(entries, C1, 'citizen.search').map((e) => e.householdRefs)).toEqual([[C3]]);
    expect(readsOf(entries, C1, 'property.occupants').map((e) => e.householdRefs)).toEqual([[C3]]);
  });

  it('records no member the view hid: not C2 beside C3, and no key at all when every member was hidden', async () => {
    const delta = await read(`/v1/citizens/${D1}`);
    expect((delta.json() as CitizenView).household).toEqual([]);
    const [entry] = readsOf(await listed(D1), D1);
    expect(entry).toBeDefined();
    expect(entry).not.toHaveProperty('householdRefs');
    const { rows } = await hub.db.pool.query('SELECT household_refs FROM audit_log WHERE seq = $1', [entry!.seq]);
    expect(rows).toEqual([{ household_refs: null }]);
    // C2's own trail holds the restriction and nothing of C1's or D1's reads.
    const hidden = await listed(C2);
    expect(hidden.filter((e) => e.citizenRef !== C2)).toEqual([]);
    expect(namedIn(await subjectAccessLog(C2))).toEqual([]);
  });

  it("lists a read that named a reference since merged into the person in the survivor's subject access", async () => {
    // Nobody in G1's household holds register records: the second read may be decided from the cached agreements.
    for (let i = 0; i < 2; i += 1) expect(((await read(`/v1/citizens/${G1}`)).json() as CitizenView).household).toEqual([{ citizenRef: G2, name: `TESTA ${G2}` }]);
    hub.source.merged.set(G2, G3);
    expect(namedIn(await subjectAccessLog(G3)).map((e) => e.householdRefs)).toEqual([[G2], [G2]]);
  });

  it('verifies the trail, entries with household members and register changes without them alike', async () => {
    const { rows } = await hub.db.pool.query<{ with: number; without: number }>(
      `SELECT count(*) FILTER (WHERE household_refs IS NOT NULL)::int AS with,
              count(*) FILTER (WHERE household_refs IS NULL AND detail IS NOT NULL)::int AS without FROM audit_log`);
    expect(rows[0]!.with).toBeGreaterThanOrEqual(5);
    expect(rows[0]!.without).toBeGreaterThanOrEqual(2);
    const verify = await hub.app.inject({ url: '/v1/audit/verify', headers: auth(dpo) });
    expect(verify.json()).toMatchObject({ ok: true });
  });
});
