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
});
