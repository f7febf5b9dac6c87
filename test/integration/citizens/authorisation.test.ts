import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, type Role } from '../../../schemas/roles.js';
import { createRegisterHub, person, type RegisterHub } from './support.js';

/**
 * Every route × role, for a citizen in scope (C1: the agreement covers the
 * council's contact centre) and one out of scope (C2: restricted). Out of
 * scope reads are 404 and never show through search, counts or paging.
 */
describe('authorisation matrix', () => {
  let hub: RegisterHub;
  const keys = new Map<Role, string>();
  let outsider: string;
  const get = (key: string, url: string, purpose = 'contact-centre-enquiry') =>
    hub.app.inject({ url, headers: { authorization: `Bearer ${key}`, 'x-purpose': purpose } });

  beforeAll(async () => {
    hub = await createRegisterHub();
    hub.source.add(person('C1', 'ALPHA')).add(person('C2', 'ALPHA'));
    for (const role of ROLES) keys.set(role, (await hub.key(role, 'Northby Council')).key);
    const council = (await hub.db.pool.query<{ id: number }>("SELECT id FROM organisation WHERE name = 'Northby Council'")).rows[0]!.id;
    outsider = (await hub.key('caseworker', 'Another Council')).key;
    const dpo = { authorization: `Bearer ${keys.get('dpo')}` };
    const created = await hub.app.inject({
      method: 'POST', url: '/v1/register/agreements', headers: dpo,
      payload: {
        id: 'ISA-1', title: 'Contact centre', parties: { provider: { orgId: council }, recipients: [council] }, roles: null,
        purposes: ['contact-centre-enquiry'], categories: ['identity', 'address'], lawfulBasis: 'public-task', art9Condition: null,
        legalGateway: 'LGA 1972 s.111', dpiaReference: 'D-1', startDate: '2026-01-01', endDate: null, reviewDate: null, status: 'active',
      },
    });
    expect(created.statusCode).toBe(201);
    const restricted = await hub.app.inject({
      method: 'POST', url: '/v1/citizens/C2/restrictions', headers: dpo, payload: { from: '2026-01-01T00:00:00Z', to: null, reason: 'contested' },
    });
    expect(restricted.statusCode).toBe(201);
  });
  afterAll(async () => hub.close());

  // Roles whose default purposes include contact-centre enquiries; every other role reads nothing by role alone.
  const READERS: Role[] = ['adviser', 'caseworker'];

  it.each(ROLES)('reads of citizens as %s', async (role) => {
    const key = keys.get(role)!;
    const inScope = READERS.includes(role);
    expect((await get(key, '/v1/citizens/C1')).statusCode).toBe(inScope ? 200 : 404);
    expect((await get(key, '/v1/citizens/C2')).statusCode).toBe(404);
    const search = (await get(key, '/v1/citizens?surname=ALPHA')).json() as { count: number; citizens: { ref: string }[] };
    expect(search).toEqual({ count: inScope ? 1 : 0, citizens: inScope ? [expect.objectContaining({ ref: 'C1' })] : [] });
    const second = (await get(key, '/v1/citizens?surname=ALPHA&offset=1&limit=1')).json();
    expect(second).toEqual({ count: inScope ? 1 : 0, citizens: [] });
    const occupants = (await get(key, '/v1/properties/100000001/occupants')).json() as { count: number };
    expect(occupants.count).toBe(inScope ? 1 : 0);
  });

  it.each(ROLES)('DPO tools, register and audit as %s', async (role) => {
    const key = keys.get(role)!;
    const status = async (method: 'GET' | 'POST', url: string, payload?: object) =>
      (await hub.app.inject({ method, url, headers: { authorization: `Bearer ${key}` }, ...(payload ? { payload } : {}) })).statusCode;
    const dpo = role === 'dpo';
    const reader = dpo || role === 'admin';
    expect(await status('GET', '/v1/citizens/C1/access-explanation?org=1&purpose=safeguarding')).toBe(dpo ? 200 : 403);
    expect(await status('GET', '/v1/citizens/C1/subject-access')).toBe(dpo ? 200 : 403);
    expect(await status('POST', '/v1/citizens/C1/objections', { purpose: 'statistics-research', recipientOrgId: null, from: '2026-01-01T00:00:00Z' })).toBe(dpo ? 201 : 403);
    expect(await status('GET', '/v1/register/agreements')).toBe(reader ? 200 : 403);
    expect(await status('GET', '/v1/citizens/C1/consents')).toBe(reader ? 200 : 403);
    expect(await status('GET', '/v1/audit/verify')).toBe(reader ? 200 : 403);
    expect(await status('GET', '/v1/audit/disclosures')).toBe(dpo ? 200 : 403);
  });

  it('shows another organisation nothing, and a key-less request nothing at all', async () => {
    expect((await get(outsider, '/v1/citizens/C1')).statusCode).toBe(404);
    expect((await get(outsider, '/v1/citizens?surname=ALPHA')).json()).toEqual({ count: 0, citizens: [] });
    expect((await hub.app.inject({ url: '/v1/citizens/C1', headers: { 'x-purpose': 'contact-centre-enquiry' } })).statusCode).toBe(401);
  });
});
