/** Bad input to the subscription routes is the caller's to correct: a 400 naming the field, never a 500. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../../src/auth/clients.js';
import { createTestHub, type TestHub } from '../../support/app.js';

describe('subscription routes refuse bad input with a 400 naming the field', () => {
  let hub: TestHub;
  let dpo: string;
  let clientId: number;
  const auth = () => ({ authorization: `Bearer ${dpo}` });
  const subscribe = (payload: Record<string, unknown>) => hub.app.inject({ method: 'POST', url: '/v1/subscriptions', headers: auth(), payload });

  beforeAll(async () => {
    hub = await createTestHub();
    dpo = await hub.keyFor('dpo', 'Westby Council Information Governance');
    clientId = (await createClient(hub.db.pool, { org: 'Westby Council Contact Centre', role: 'adviser' })).client.id;
  });
  afterAll(async () => {
    await hub?.close();
  });

  const refused = (response: { statusCode: number; json(): unknown }, path: RegExp) => {
    expect(response.statusCode).toBe(400);
    const problem = response.json() as { code: string; errors?: { path: string }[]; detail: string };
    expect(problem.code).toBe('validation-failed');
    expect(`${problem.detail} ${(problem.errors ?? []).map((e) => e.path).join(' ')}`).toMatch(path);
  };

  it('an id beyond any bigint, in the path, the query or the body', async () => {
    const huge = '99999999999999999999';
    for (const [method, url] of [['GET', `/v1/subscriptions/${huge}`], ['DELETE', `/v1/subscriptions/${huge}`], ['POST', `/v1/subscriptions/${huge}/secret`]] as const) {
      refused(await hub.app.inject({ method, url, headers: auth() }), /\bid\b/);
    }
    refused(await hub.app.inject({ method: 'PATCH', url: `/v1/subscriptions/${huge}`, headers: auth(), payload: { active: false } }), /\bid\b/);
    refused(await hub.app.inject({ url: `/v1/subscriptions?org=${huge}`, headers: auth() }), /\borg\b/);
    refused(await subscribe({ clientId: Number(huge), purpose: 'contact-centre-enquiry', url: 'https://receiver.example.org/hook' }), /clientId/);
    expect(hub.logLines.join('\n')).not.toMatch(/"level":50/);
  });

  it('still takes the largest safe id, and answers 404 for a subscription that does not exist', async () => {
    const response = await hub.app.inject({ url: `/v1/subscriptions/${Number.MAX_SAFE_INTEGER}`, headers: auth() });
    expect(response.statusCode).toBe(404);
    expect((await subscribe({ clientId, purpose: 'contact-centre-enquiry', url: 'https://receiver.example.org/hook' })).statusCode).toBe(201);
  });

  it('a purpose the subscriber\'s role can never use, when subscribing, changing the purpose or resuming', async () => {
    const partner = (await createClient(hub.db.pool, { org: 'Westby Police', role: 'partner' })).client;
    const cce = { purpose: 'contact-centre-enquiry', url: 'https://receiver.example.org/police' };
    const refusedPurpose = (response: { statusCode: number; json(): unknown }, role: string, purpose: string) => {
      refused(response, /purpose/);
      const problem = response.json() as { detail: string; errors: { path: string; message: string }[] };
      expect(problem.errors).toEqual([{ path: 'body.purpose', message: expect.stringContaining(`role ${role} `) }]);
      expect(problem.errors[0]!.message).toContain(`may not use purpose ${purpose}`);
    };
    const stored = async () => (await hub.db.pool.query<{ client_id: string; purpose: string; active: boolean }>(
      'SELECT client_id, purpose, active FROM publish_subscription ORDER BY id')).rows;
    const before = await stored();

    // A partner may not make contact-centre enquiries by role, nor a DPO use any purpose.
    refusedPurpose(await subscribe({ clientId: partner.id, ...cce }), 'partner', 'contact-centre-enquiry');
    const dpoClient = (await createClient(hub.db.pool, { org: 'Westby Council Information Governance', role: 'dpo' })).client;
    refusedPurpose(await subscribe({ clientId: dpoClient.id, ...cce }), 'dpo', 'contact-centre-enquiry');
    expect(await stored()).toEqual(before);

    // An agreement that names the role for the purpose, for the partner's organisation, is what lets it.
    const agreement = {
      id: 'ISA-SI-1', title: 'Police contact', parties: { provider: { orgId: partner.orgId }, recipients: [partner.orgId] }, roles: ['partner'],
      purposes: ['contact-centre-enquiry'], categories: ['identity'], lawfulBasis: 'public-task', art9Condition: null,
      legalGateway: 'Crime and Disorder Act 1998 s.115', dpiaReference: null, startDate: '2020-01-01', endDate: null, reviewDate: null, status: 'active',
    };
    expect((await hub.app.inject({ method: 'POST', url: '/v1/register/agreements', headers: auth(), payload: agreement })).statusCode).toBe(201);
    expect((await subscribe({ clientId: partner.id, ...cce })).statusCode).toBe(201);

    const adviser = (await subscribe({ clientId, purpose: 'contact-centre-enquiry', url: 'https://receiver.example.org/adviser' })).json() as { id: number };
    const patch = (payload: Record<string, unknown>) => hub.app.inject({ method: 'PATCH', url: `/v1/subscriptions/${adviser.id}`, headers: auth(), payload });
    refusedPurpose(await patch({ purpose: 'safeguarding' }), 'adviser', 'safeguarding');
    expect((await patch({ purpose: 'direct-service-delivery' })).statusCode).toBe(200);
    // A paused subscription whose purpose its role cannot use (set before this rule) is not resumed.
    await hub.db.pool.query("UPDATE publish_subscription SET purpose = 'fraud-prevention', active = false WHERE id = $1", [adviser.id]);
    refusedPurpose(await patch({ active: true }), 'adviser', 'fraud-prevention');
    expect((await hub.db.pool.query('SELECT active FROM publish_subscription WHERE id = $1', [adviser.id])).rows[0]).toEqual({ active: false });
  });
});
