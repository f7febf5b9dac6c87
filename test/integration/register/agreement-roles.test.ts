import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegisterHub, person, type RegisterHub } from '../citizens/support.js';

/**
 * An agreement's `roles` replace the role–purpose table for that agreement;
 * naming a role that reads no citizen data (admin, dpo, steward,
 * source-system) used to let keys of that role read citizens. The policy
 * ignores such a role now, and the register refuses to record one.
 */
describe('agreement roles', () => {
  let hub: RegisterHub;
  let org: number;
  const keys: Record<string, string> = {};
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const send = (method: 'POST' | 'PUT' | 'GET', url: string, key: string, payload?: unknown, headers: Record<string, string> = {}) =>
    hub.app.inject({ method, url, headers: { ...auth(key), ...headers }, ...(payload === undefined ? {} : { payload: payload as object }) });
  const agreement = (id: string, roles: string[]) => ({
    id, title: 'Contact centre', parties: { provider: { orgId: org }, recipients: [org] }, roles, purposes: ['contact-centre-enquiry'],
    categories: ['identity'], lawfulBasis: 'public-task', art9Condition: null, legalGateway: 'Local Government Act 1972 s.111', dpiaReference: null,
    startDate: '2026-01-01', endDate: null, reviewDate: null, status: 'active',
  });
  const read = (role: string) => send('GET', '/v1/citizens/C1', keys[role]!, undefined, { 'x-purpose': 'contact-centre-enquiry' });
  const NON_READERS = ['admin', 'dpo', 'steward', 'source-system'];

  beforeAll(async () => {
    hub = await createRegisterHub();
    hub.source.add(person('C1', 'ALPHA'));
    for (const role of ['dpo', 'admin', 'steward', 'source-system', 'caseworker'] as const) {
      const made = await hub.key(role, 'Northby Council');
      keys[role] = made.key;
      org = made.orgId;
    }
  });
  afterAll(async () => hub.close());

  it('lets no agreement make a DPO, admin, steward or source-system key read citizens', async () => {
    // Registered before the register refused it.
    await hub.db.pool.query(`INSERT INTO sharing_agreement (id, version, current, title, provider_org_id, recipient_org_ids, roles, purposes, categories,
        lawful_basis, art9_condition, legal_gateway, dpia_reference, start_date, end_date, review_date, status)
      VALUES ('ISA-R1', 1, true, 'Everyone', $1, ARRAY[$1::bigint], ARRAY['caseworker', 'dpo', 'admin', 'steward', 'source-system'], ARRAY['contact-centre-enquiry'],
        ARRAY['identity'], 'public-task', NULL, 'LGA 1972 s.111', NULL, '2026-01-01', NULL, NULL, 'active')`, [org]);
    const allowed = await read('caseworker');
    expect(allowed.statusCode).toBe(200);
    expect(allowed.json().identity).toBeDefined();
    for (const role of NON_READERS) expect((await read(role)).statusCode, role).toBe(404);

    const explained = await send('GET', `/v1/citizens/C1/access-explanation?org=${org}&purpose=contact-centre-enquiry&role=dpo`, keys.dpo!);
    const { categories } = explained.json().explanations[0] as { categories: { category: string; permit: boolean; reason: string }[] };
    expect(categories.find((c) => c.category === 'identity')).toMatchObject({ permit: false, reason: 'role dpo reads no citizen data, whatever agreement ISA-R1 v1 names' });
    expect((await send('GET', '/v1/register/agreements/ISA-R1', keys.dpo!)).json().warnings).toEqual(['dpo', 'admin', 'steward', 'source-system'].map((role) =>
      `roles names ${role}, which reads no citizen data through an agreement: ignored (registered before that was refused)`));
  });

  it('refuses an agreement naming such a role, naming the item', async () => {
    const rule = (role: string) => `is ${role}, which reads no citizen data through an agreement; an agreement may name adviser, caseworker, partner`;
    const created = await send('POST', '/v1/register/agreements', keys.dpo!, agreement('ISA-R2', ['caseworker', 'dpo', 'admin']));
    expect(created.statusCode).toBe(400);
    expect(created.json()).toMatchObject({ code: 'validation-failed', errors: [{ path: 'body.roles.1', message: rule('dpo') }, { path: 'body.roles.2', message: rule('admin') }] });
    const changed = await send('PUT', '/v1/register/agreements/ISA-R1', keys.dpo!, { version: 1, roles: ['source-system'] });
    expect(changed.statusCode).toBe(400);
    expect(changed.json()).toMatchObject({ code: 'validation-failed', errors: [{ path: 'body.roles.0', message: rule('source-system') }] });
    // Putting it right is a change like any other.
    expect((await send('PUT', '/v1/register/agreements/ISA-R1', keys.dpo!, { version: 1, roles: ['caseworker'] })).json()).toMatchObject({ version: 2, warnings: [] });
  });
});
