/**
 * Reads must not tell a caller anything about a citizen it may see nothing
 * of: not whether the reference exists, not through another citizen's view.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CitizenView } from '../../../schemas/citizen-view.js';
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
