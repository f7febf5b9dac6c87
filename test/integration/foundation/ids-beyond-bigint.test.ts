import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../../support/app.js';

/** Ids are bigint columns: a larger number is the caller's mistake (400), not a failure in PostgreSQL (500). */
describe('ids and paging positions beyond bigint', () => {
  let hub: TestHub;
  let steward: string;
  const HUGE = '99999999999999999999';
  beforeAll(async () => {
    hub = await createTestHub();
    steward = await hub.keyFor('steward', 'Data Team');
  });
  afterAll(async () => hub?.close());

  it.each([
    ['GET', `/v1/review/people?after=${HUGE}`, undefined],
    ['POST', `/v1/review/people/${HUGE}`, { decision: 'link' }],
    ['POST', '/v1/review/people/9223372036854775808', { decision: 'distinct' }],
    ['GET', `/v1/review/addresses?after=${HUGE}`, undefined],
    ['POST', `/v1/review/addresses/${HUGE}`, { noMatch: true }],
    ['PUT', `/v1/review/addresses/${HUGE}`, { noMatch: true }],
    ['GET', `/v1/intakes/${HUGE}`, undefined],
    ['GET', `/v1/sources/revenues/rejects?after=${HUGE}`, undefined],
    ['GET', `/v1/sources/revenues/rejects?intake=${HUGE}`, undefined],
  ] as const)('%s %s is a 400 naming the field', async (method, url, payload) => {
    const response = await hub.app.inject({ method, url, headers: { authorization: `Bearer ${steward}` }, ...(payload ? { payload } : {}) });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'validation-failed' });
  });

  it('still takes the largest safe id', async () => {
    const response = await hub.app.inject({ url: `/v1/intakes/${Number.MAX_SAFE_INTEGER}`, headers: { authorization: `Bearer ${steward}` } });
    expect(response.statusCode).toBe(404);
  });
});
