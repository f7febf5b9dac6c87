/**
 * A household places its members at the citizen's address, and the citizen at
 * theirs: a member is named only to a caller who may see both the member's
 * identity and address, and the household is shown only with the citizen's
 * own address. Read one by one, in a search, in an occupants list, and from
 * cached agreements, and audited as what was shown.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CitizenView } from '../../../schemas/citizen-view.js';
import { createClient, type AuthenticatedClient } from '../../../src/auth/clients.js';
import { discloseCitizen, type DisclosureContext } from '../../../src/citizens/disclosure.js';
import { pipelinedPool } from '../../../src/db/transaction.js';
import { policyOptions } from '../../../src/policy/options.js';
import { RegisterInputCache } from '../../../src/register/input-cache.js';
import { createRegisterHub, person, type RegisterHub } from './support.js';

const UPRN = 100000070;

describe('household members are named only with their address, and only beside the citizen\'s own', () => {
  let hub: RegisterHub;
  let dpo: string;
  let police: { key: string; clientId: number; orgId: number };
  let adviser: { key: string; clientId: number; orgId: number };
  const safeguarding = { 'x-purpose': 'safeguarding' };
  const enquiry = { 'x-purpose': 'contact-centre-enquiry' };
  const read = (key: string, url: string, headers: Record<string, string>) => hub.app.inject({ url, headers: { authorization: `Bearer ${key}`, ...headers } });
  const post = async (url: string, payload: object) => {
    const response = await hub.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${dpo}` }, payload });
    expect(response.statusCode, response.body).toBe(201);
  };
  const agreement = (id: string, orgId: number, purpose: string, categories: string[], lawfulBasis: string) => post('/v1/register/agreements', {
    id, title: id, parties: { provider: { orgId: adviser.orgId }, recipients: [orgId] }, roles: null, purposes: [purpose], categories, lawfulBasis,
    art9Condition: null, legalGateway: 'Local Government Act 1972 s.111', dpiaReference: null, startDate: '2026-01-01', endDate: null,
    reviewDate: null, status: 'active',
  });
  const consent = (ref: string, purpose: string, orgId: number) => post(`/v1/citizens/${ref}/consents`, {
    purpose, recipientOrgId: orgId, from: '2026-06-01T00:00:00.000Z', to: null, channel: 'in-person', evidence: 'DOC-7',
  });
  /** The caller's last audit entry about the citizen, as the DPO reads it (this file's references are not in the form the citizen filter takes). */
  const lastEntry = async (clientId: number, ref: string) => {
    const response = await hub.app.inject({ url: `/v1/audit/disclosures?client=${clientId}&limit=1000`, headers: { authorization: `Bearer ${dpo}` } });
    expect(response.statusCode).toBe(200);
    return (response.json() as { entries: { citizenRef: string; householdRefs?: string[]; fieldsDisclosed: string[] }[] }).entries
      .filter((e) => e.citizenRef === ref).at(-1)!;
  };

  beforeAll(async () => {
    hub = await createRegisterHub();
    const a = person('HA1', 'ALPHA', { uprn: UPRN });
    a.household = [{ citizenRef: 'HB1', name: 'TESTA BETA' }];
    const b = person('HB1', 'BETA', { uprn: UPRN });
    b.household = [{ citizenRef: 'HA1', name: 'TESTA ALPHA' }];
    hub.source.add(a).add(b);
    dpo = (await hub.key('dpo', 'Northby Council Information Governance')).key;
    adviser = await hub.key('adviser', 'Northby Council Contact Centre');
    police = await hub.key('partner', 'Northby Police');
    // Police: identity of anyone; address and household of those who consented. Only A consented.
    await agreement('ISA-HD-P1', police.orgId, 'safeguarding', ['identity'], 'public-task');
    await agreement('ISA-HD-P2', police.orgId, 'safeguarding', ['address', 'household'], 'consent');
    await consent('HA1', 'safeguarding', police.orgId);
    // Contact centre: identity and household of anyone; the address of those who consented. Only B consented.
    await agreement('ISA-HD-A1', adviser.orgId, 'contact-centre-enquiry', ['identity', 'household'], 'public-task');
    await agreement('ISA-HD-A2', adviser.orgId, 'contact-centre-enquiry', ['address'], 'consent');
    await consent('HB1', 'contact-centre-enquiry', adviser.orgId);
  });
  afterAll(async () => hub.close());

  it('does not name a member whose identity the caller may see but not their address', async () => {
    // B's own view withholds the address: B is not to be placed at U.
    const b = await read(police.key, '/v1/citizens/HB1', safeguarding);
    expect(b.statusCode).toBe(200);
    expect((b.json() as CitizenView).addresses).toBeUndefined();

    const a = (await read(police.key, '/v1/citizens/HA1', safeguarding)).json() as CitizenView;
    expect(a.addresses?.[0]?.uprn).toBe(UPRN);
    expect(a.household).toEqual([]);
    // The audit entry records what was shown: no member.
    const entry = await lastEntry(police.clientId, 'HA1');
    expect(entry).not.toHaveProperty('householdRefs');
    expect(entry.fieldsDisclosed.some((f) => f.startsWith('household['))).toBe(false);

    const occupants = (await read(police.key, `/v1/properties/${UPRN}/occupants`, safeguarding)).json() as { count: number; citizens: CitizenView[] };
    expect(occupants.citizens.map((c) => [c.ref, c.household])).toEqual([['HA1', []]]);
    expect(occupants.count).toBe(1);
    const search = (await read(police.key, '/v1/citizens?surname=ALPHA', safeguarding)).json() as { citizens: CitizenView[] };
    expect(search.citizens.map((c) => c.household)).toEqual([[]]);
    expect(JSON.stringify([occupants, search])).not.toContain('HB1');

    // Once the caller may see B's address too, B is named, and audited as named.
    await consent('HB1', 'safeguarding', police.orgId);
    const again = (await read(police.key, '/v1/citizens/HA1', safeguarding)).json() as CitizenView;
    expect(again.household).toEqual([{ citizenRef: 'HB1', name: 'TESTA BETA' }]);
    const named = await lastEntry(police.clientId, 'HA1');
    expect(named.householdRefs).toEqual(['HB1']);
    expect(named.fieldsDisclosed).toEqual(expect.arrayContaining(['household[].citizenRef', 'household[].name']));
  });

  it('shows no household when the citizen\'s own address is withheld, and the explanation says why', async () => {
    // A's address is withheld from the contact centre; B's is not. Listing B in A's household would place A at U.
    const a = (await read(adviser.key, '/v1/citizens/HA1', enquiry)).json() as CitizenView;
    expect(a.addresses).toBeUndefined();
    expect(a).not.toHaveProperty('household');
    expect(a.withheld).toEqual(expect.arrayContaining(['address', 'household']));
    expect(await lastEntry(adviser.clientId, 'HA1')).not.toHaveProperty('householdRefs');
    // And B's household does not name A, whose address the caller may not see.
    const b = (await read(adviser.key, '/v1/citizens/HB1', enquiry)).json() as CitizenView;
    expect(b.addresses?.[0]?.uprn).toBe(UPRN);
    expect(b.household).toEqual([]);

    const explained = await hub.app.inject({
      url: `/v1/citizens/HA1/access-explanation?org=${adviser.orgId}&purpose=contact-centre-enquiry`, headers: { authorization: `Bearer ${dpo}` },
    });
    expect(explained.statusCode).toBe(200);
    const categories = (explained.json() as { explanations: { categories: { category: string; permit: boolean; reason: string }[] }[] }).explanations[0]!.categories;
    expect(categories.find((c) => c.category === 'household')).toMatchObject({ permit: false, reason: expect.stringMatching(/only with the citizen's own address/) });
  });

});

/**
 * Reads decided from cached agreements decide recordless household members
 * as the citizen is: the same rule must hold there.
 */
describe('household rule in reads decided from cached agreements', () => {
  let hub: RegisterHub;
  let ctx: DisclosureContext;
  let fire: AuthenticatedClient;
  let dpo: string;
  const read = async (client: AuthenticatedClient, ref: string) => {
    const outcome = await discloseCitizen(ctx, { client, purpose: 'safeguarding', breakGlassReason: null, requestId: randomUUID(), action: 'citizen.read' }, ref);
    expect(outcome.kind).toBe('ok');
    return (outcome as { value: CitizenView }).value;
  };

  beforeAll(async () => {
    hub = await createRegisterHub();
    const home = person('HC1', 'HOME', { uprn: UPRN });
    home.household = [{ citizenRef: 'HC2', name: 'TESTA MEMBER' }];
    hub.source.add(home).add(person('HC2', 'MEMBER', { uprn: UPRN })).add(person('HC9', 'ELSEWHERE'));
    dpo = (await hub.key('dpo', 'Northby Council Information Governance')).key;
    const council = (await createClient(hub.db.pool, { org: 'Northby Council Contact Centre', role: 'adviser' })).client;
    fire = (await createClient(hub.db.pool, { org: 'Northby Fire and Rescue', role: 'partner' })).client;
    const created = await hub.app.inject({
      method: 'POST', url: '/v1/register/agreements', headers: { authorization: `Bearer ${dpo}` }, payload: {
        id: 'ISA-HD-F', title: 'Fire', parties: { provider: { orgId: council.orgId }, recipients: [fire.orgId] }, roles: null, purposes: ['safeguarding'],
        categories: ['identity', 'household'], lawfulBasis: 'public-task', art9Condition: null, legalGateway: 'Fire and Rescue Services Act 2004',
        dpiaReference: null, startDate: '2026-01-01', endDate: null, reviewDate: null, status: 'active',
      },
    });
    expect(created.statusCode, created.body).toBe(201);
    ctx = {
      pool: pipelinedPool(hub.db.pool, () => undefined), source: hub.source, clock: () => hub.clock.now, cache: new RegisterInputCache(),
      options: policyOptions({ extraPurposes: [], breakGlassMinutes: 60 }),
    };
    // The organisation's agreements are cached by a read of someone else.
    await read(fire, 'HC9');
  });
  afterAll(async () => {
    await ctx.pool.end();
    await hub.close();
  });

  it('shows no household to a caller who may see identities and the household but no address', async () => {
    expect(ctx.cache!.agreementsOf(fire.orgId)).toBeDefined();
    const view = await read(fire, 'HC1');
    expect(view.identity?.name.value.surname).toBe('HOME');
    expect(view).not.toHaveProperty('household');
    expect(view.withheld).toEqual(expect.arrayContaining(['address', 'household']));
    const { rows } = await hub.db.pool.query<{ household_refs: string[] | null }>(
      "SELECT household_refs FROM audit_log WHERE client_id = $1 AND citizen_ref = 'HC1'", [fire.id]);
    expect(rows).toEqual([{ household_refs: null }]);
  });
});
