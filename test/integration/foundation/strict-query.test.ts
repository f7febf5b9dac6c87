/**
 * Every route refuses a query parameter it does not take (src/server/plugins/strict-query.ts), naming it: ignored,
 * a misspelt filter widened what was listed and a misspelt `after` gave the first page again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../../support/app.js';

describe('query parameters a route does not take', () => {
  let hub: TestHub;
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    hub = await createTestHub();
    keys.steward = await hub.keyFor('steward', 'Strictby Council Data Team');
    keys.dpo = await hub.keyFor('dpo', 'Strictby Council Information Governance');
  });
  afterAll(async () => hub?.close());

  it('are refused with 400 naming the parameter, on routes that did not say so themselves', async () => {
    for (const [role, url, name] of [
      ['steward', '/v1/review/people?aftr=3', 'aftr'],
      ['steward', '/v1/review/addresses?limt=2', 'limt'],
      ['steward', '/v1/review/closed-accounts?aftr=C0000000001', 'aftr'],
      ['steward', '/v1/sources/revenues/rejects?intak=5', 'intak'],
      ['dpo', '/v1/audit/verify?limt=10', 'limt'],
    ] as const) {
      const response = await hub.app.inject({ url, headers: { authorization: `Bearer ${keys[role]}` } });
      expect(response.statusCode, url).toBe(400);
      expect(response.json(), url).toMatchObject({ code: 'validation-failed', errors: [expect.objectContaining({ path: `querystring.${name}` })] });
    }
  });

  it('still answers the parameters the route takes', async () => {
    const response = await hub.app.inject({ url: '/v1/sources/revenues/rejects?after=0&limit=5', headers: { authorization: `Bearer ${keys.steward}` } });
    expect(response.statusCode, response.body).toBe(200);
  });
});
