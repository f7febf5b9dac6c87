/**
 * Reads must not tell a caller anything about a citizen it may see nothing
 * of: not whether the reference exists, not through another citizen's view.
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

describe('hidden people stay hidden', () => {
  let hub: RegisterHub;
  let dpo: string;
  let adviser: { key: string; clientId: number; orgId: number };
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const read = (key: string, path: string, headers: Record<string, string> = { 'x-purpose': 'contact-centre-enquiry' }) =>
    hub.app.inject({ method: 'GET', url: path, headers: { ...auth(key), ...headers } });
  const post = (path: string, payload: unknown) => hub.app.inject({ method: 'POST', url: path, headers: auth(dpo), payload: payload as object });

  beforeAll(async () => {
    hub = await createRegisterHub();
    const alpha = person('C1', 'ALPHA');
    alpha.household = [{ citizenRef: 'C2', name: 'TESTA HIDDEN' }, { citizenRef: 'C3', name: 'TESTA BRAVO' }];
    hub.source.add(alpha).add(person('C2', 'HIDDEN')).add(person('C3', 'BRAVO'));
    dpo = (await hub.key('dpo', 'Northby Council Information Governance')).key;
    adviser = await hub.key('adviser', 'Northby Council Contact Centre');
    const isa = await post('/v1/register/agreements', {
      id: 'ISA-1', title: 'Contact centre', parties: { provider: { orgId: adviser.orgId }, recipients: [adviser.orgId] }, roles: null,
      purposes: ['contact-centre-enquiry'], categories: ['identity', 'contact', 'address', 'household'], lawfulBasis: 'public-task',
      art9Condition: null, legalGateway: 'Local Government Act 1972 s.111', dpiaReference: null, startDate: '2026-01-01', endDate: null,
      reviewDate: null, status: 'active',
    });
    expect(isa.statusCode).toBe(201);
    expect((await post('/v1/citizens/C2/restrictions', { from: '2026-06-01T00:00:00.000Z', to: null, reason: 'accuracy contested (Art. 18(1)(a))' })).statusCode).toBe(201);
  });
  afterAll(async () => hub.close());

  it('refuses emergency without a reason alike for a citizen who exists and one who does not', async () => {
    // A client of an organisation with no agreement: it may see nobody, and must not learn which references exist.
    const stranger = await hub.key('adviser', 'Northby Police');
    const emergency = { 'x-purpose': 'emergency' };
    const existing = await read(stranger.key, '/v1/citizens/C1', emergency);
    const restricted = await read(stranger.key, '/v1/citizens/C2', emergency);
    const missing = await read(stranger.key, '/v1/citizens/C0000000077', emergency);
    expect([existing.statusCode, restricted.statusCode, missing.statusCode]).toEqual([400, 400, 400]);
    expect(missing.json()).toMatchObject({ code: existing.json().code, detail: existing.json().detail });
    // With a reason, every one of them is simply not found.
    const reason = { ...emergency, 'x-break-glass-reason': 'welfare check requested by ambulance service' };
    expect((await read(stranger.key, '/v1/citizens/C2', reason)).statusCode).toBe(404);
    expect((await read(stranger.key, '/v1/citizens/C0000000077', reason)).statusCode).toBe(404);
  });

  it("lists in a citizen's household only the members whose identity the caller may see", async () => {
    expect((await read(adviser.key, '/v1/citizens/C2')).statusCode).toBe(404);
    const one = await read(adviser.key, '/v1/citizens/C1');
    expect(one.statusCode).toBe(200);
    expect((one.json() as CitizenView).household).toEqual([{ citizenRef: 'C3', name: 'TESTA BRAVO' }]);
    const search = (await read(adviser.key, '/v1/citizens?surname=ALPHA')).json() as { citizens: CitizenView[] };
    expect(search.citizens.map((c) => c.household)).toEqual([[{ citizenRef: 'C3', name: 'TESTA BRAVO' }]]);
    const occupants = (await read(adviser.key, '/v1/properties/100000001/occupants')).json() as { count: number; citizens: CitizenView[] };
    expect(occupants.count).toBe(2);
    expect(JSON.stringify(occupants)).not.toContain('HIDDEN');
    expect(JSON.stringify(occupants)).not.toContain('"C2"');
  });
});

/**
 * Reads decided from cached agreements (src/citizens/disclosure.ts, plan)
 * decide household members as the citizen, so long as none of them holds
 * register records; the audit insert's guard checks that, for references
 * merged into a member too, and a read whose guard fails goes to the register.
 */
describe('hidden household members in reads decided from cached agreements', () => {
  let hub: RegisterHub;
  let ctx: DisclosureContext;
  let adviser: AuthenticatedClient;
  let police: AuthenticatedClient;
  let dpo: string;
  const household = async (client: AuthenticatedClient, purpose: string, ref: string) => {
    const outcome = await discloseCitizen(ctx, { client, purpose, breakGlassReason: null, requestId: randomUUID(), action: 'citizen.read' }, ref);
    expect(outcome.kind).toBe('ok');
    return (outcome as { value: CitizenView }).value.household;
  };
  const post = async (path: string, payload: object) => {
    const response = await hub.app.inject({ method: 'POST', url: path, headers: { authorization: `Bearer ${dpo}` }, payload });
    expect(response.statusCode, response.body).toBe(201);
  };
  const agreement = (id: string, recipient: number, purpose: string, categories: string[]) => post('/v1/register/agreements', {
    id, title: id, parties: { provider: { orgId: adviser.orgId }, recipients: [recipient] }, roles: null, purposes: [purpose], categories,
    lawfulBasis: 'public-task', art9Condition: null, legalGateway: 'Local Government Act 1972 s.111', dpiaReference: null,
    startDate: '2026-01-01', endDate: null, reviewDate: null, status: 'active',
  });

  beforeAll(async () => {
    hub = await createRegisterHub();
    const home = person('H1', 'HOME', { uprn: 100000050 });
    home.household = [{ citizenRef: 'H2', name: 'TESTA SECRET' }, { citizenRef: 'H3', name: 'TESTA OPEN' }, { citizenRef: 'H4', name: 'TESTA ALIASED' }];
    hub.source.add(home).add(person('H2', 'SECRET')).add(person('H3', 'OPEN')).add(person('H4', 'ALIASED')).add(person('H9', 'ELSEWHERE'));
    hub.source.merged.set('H4OLD', 'H4');
    dpo = (await hub.key('dpo', 'Northby Council Information Governance')).key;
    adviser = (await createClient(hub.db.pool, { org: 'Northby Council Contact Centre', role: 'adviser' })).client;
    police = (await createClient(hub.db.pool, { org: 'Northby Police', role: 'partner' })).client;
    await agreement('ISA-H', adviser.orgId, 'contact-centre-enquiry', ['identity', 'address', 'household']);
    await agreement('ISA-HP', police.orgId, 'safeguarding', ['address', 'household']);
    ctx = {
      pool: pipelinedPool(hub.db.pool, () => undefined), source: hub.source, clock: () => hub.clock.now, cache: new RegisterInputCache(),
      options: policyOptions({ extraPurposes: [], breakGlassMinutes: 60 }),
    };
    // Each organisation's agreements are cached by a read of someone else; nothing is learnt of H1's household.
    await household(adviser, 'contact-centre-enquiry', 'H9');
    await household(police, 'safeguarding', 'H9');
  });
  afterAll(async () => {
    await ctx.pool.end();
    await hub.close();
  });

  it('shows members without register records, decided from the cache', async () => {
    expect(await household(adviser, 'contact-centre-enquiry', 'H1')).toHaveLength(3);
    expect(ctx.cache!.agreementsOf(adviser.orgId)).toBeDefined();
  });

  it('removes a member restricted under a reference merged into them', async () => {
    // Kept against the reference H4 had before a merge, as the register holds it.
    await hub.db.pool.query("INSERT INTO restriction (citizen_ref, valid_from, reason) VALUES ('H4OLD', '2026-06-01', 'accuracy contested')");
    expect((await household(adviser, 'contact-centre-enquiry', 'H1'))?.map((m) => m.citizenRef)).toEqual(['H2', 'H3']);
  });

  it('removes a member restricted since the cache was filled', async () => {
    await post('/v1/citizens/H2/restrictions', { from: '2026-06-01T00:00:00.000Z', to: null, reason: 'accuracy contested (Art. 18(1)(a))' });
    expect(await household(adviser, 'contact-centre-enquiry', 'H1')).toEqual([{ citizenRef: 'H3', name: 'TESTA OPEN' }]);
    // The register read that decided it taught the cache who holds records: the next read goes to the register at once.
    expect(ctx.cache!.hasRecords('H2')).toBe(true);
    expect(await household(adviser, 'contact-centre-enquiry', 'H1')).toEqual([{ citizenRef: 'H3', name: 'TESTA OPEN' }]);
  });

  it('shows no member to a caller who may see the household but nobody\'s identity', async () => {
    expect(await household(police, 'safeguarding', 'H1')).toEqual([]);
  });
});
