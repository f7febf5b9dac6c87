import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRegisterHub, person, type RegisterHub } from '../citizens/support.js';

/** An agreement's status moves draft → active ↔ suspended → ended, and ended is final; a change that changes nothing writes nothing. */
describe('agreement status and versions', () => {
  let hub: RegisterHub;
  let dpo: string;
  let caseworker: string;
  let org: number;
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const send = (method: 'POST' | 'PUT' | 'GET', url: string, payload?: unknown) =>
    hub.app.inject({ method, url, headers: auth(dpo), ...(payload === undefined ? {} : { payload: payload as object }) });
  const agreement = (id: string, status: string) => ({
    id, title: 'Adult social care', parties: { provider: { orgId: org }, recipients: [org] }, roles: ['caseworker'], purposes: ['safeguarding', 'direct-service-delivery'],
    categories: ['identity', 'contact'], lawfulBasis: 'public-task', art9Condition: null, legalGateway: 'Care Act 2014 s.6', dpiaReference: null,
    startDate: '2026-01-01', endDate: null, reviewDate: null, status,
  });
  const status = (id: string, version: number, to: string) => send('POST', `/v1/register/agreements/${id}/status`, { version, status: to });
  const versions = async (id: string) => ((await send('GET', `/v1/register/agreements/${id}/versions`)).json() as { versions: { version: number; status: string }[] }).versions
    .map((v) => [v.version, v.status]);
  const changes = async (id: string) => (await hub.db.pool.query("SELECT action FROM audit_log WHERE agreements @> $1::jsonb ORDER BY seq", [JSON.stringify([{ id }])]))
    .rows.map((r: { action: string }) => r.action);
  const read = () => hub.app.inject({ url: '/v1/citizens/C1', headers: { ...auth(caseworker), 'x-purpose': 'safeguarding' } });

  beforeAll(async () => {
    hub = await createRegisterHub();
    hub.source.add(person('C1', 'ALPHA'));
    const d = await hub.key('dpo', 'Northby Council');
    dpo = d.key;
    org = d.orgId;
    caseworker = (await hub.key('caseworker', 'Northby Council')).key;
  });
  afterAll(async () => hub.close());

  it('keeps an ended agreement ended: no status, no change brings it back', async () => {
    expect((await send('POST', '/v1/register/agreements', agreement('ISA-E', 'active'))).statusCode).toBe(201);
    expect((await read()).statusCode).toBe(200);
    expect((await status('ISA-E', 1, 'ended')).json()).toMatchObject({ version: 2, status: 'ended' });
    for (const response of [
      await status('ISA-E', 2, 'active'),
      await status('ISA-E', 2, 'suspended'),
      await status('ISA-E', 2, 'draft'),
      await send('PUT', '/v1/register/agreements/ISA-E', { version: 2, status: 'active' }),
      await send('PUT', '/v1/register/agreements/ISA-E', { version: 2, title: 'Adult social care (renewed)' }),
    ]) {
      expect(response.statusCode).toBe(409);
      expect(response.json()).toMatchObject({
        code: 'agreement-ended',
        detail: 'agreement ISA-E has ended: an ended agreement is final and takes no new version; register a new agreement instead',
      });
    }
    expect(await versions('ISA-E')).toEqual([[1, 'active'], [2, 'ended']]);
    expect((await read()).statusCode).toBe(404);
  });

  it('moves draft → active ↔ suspended → ended, and refuses the rest naming the rule', async () => {
    const refused = (response: { statusCode: number; json: () => unknown }, from: string, to: string, allowed: string) => {
      expect(response.statusCode).toBe(409);
      const rule = `cannot go from ${from} to ${to}; from ${from} only to ${allowed}`;
      expect(response.json()).toMatchObject({ code: 'status-transition-not-allowed', detail: `status ${rule}`, errors: [{ path: 'body.status', message: rule }] });
    };
    expect((await send('POST', '/v1/register/agreements', agreement('ISA-S', 'draft'))).statusCode).toBe(201);
    refused(await status('ISA-S', 1, 'suspended'), 'draft', 'suspended', 'active or ended');
    expect((await status('ISA-S', 1, 'active')).statusCode).toBe(200);
    refused(await status('ISA-S', 2, 'draft'), 'active', 'draft', 'suspended or ended');
    expect((await status('ISA-S', 2, 'suspended')).statusCode).toBe(200);
    expect((await read()).statusCode).toBe(404);
    refused(await send('PUT', '/v1/register/agreements/ISA-S', { version: 3, status: 'draft', title: 'Back to draft' }), 'suspended', 'draft', 'active or ended');
    expect((await status('ISA-S', 3, 'active')).statusCode).toBe(200);
    expect((await read()).statusCode).toBe(200);
    expect((await status('ISA-S', 4, 'suspended')).statusCode).toBe(200);
    expect((await status('ISA-S', 5, 'ended')).statusCode).toBe(200);
    expect(await versions('ISA-S')).toEqual([[1, 'draft'], [2, 'active'], [3, 'suspended'], [4, 'active'], [5, 'suspended'], [6, 'ended']]);

    // A draft never in force may be abandoned.
    expect((await send('POST', '/v1/register/agreements', agreement('ISA-D', 'draft'))).statusCode).toBe(201);
    expect((await status('ISA-D', 1, 'ended')).json()).toMatchObject({ version: 2, status: 'ended' });
  });

  it('writes no version, no audit entry and no register change for a change that changes nothing', async () => {
    expect((await send('POST', '/v1/register/agreements', agreement('ISA-N', 'active'))).statusCode).toBe(201);
    const registerVersion = async () => (await hub.db.pool.query('SELECT agreements FROM register_version')).rows[0].agreements as string;
    const was = await registerVersion();
    const same = await send('PUT', '/v1/register/agreements/ISA-N', {
      version: 1, title: 'Adult social care', categories: ['contact', 'identity'], purposes: ['direct-service-delivery', 'safeguarding'],
      parties: { provider: { orgId: org }, recipients: [org] }, endDate: null,
    });
    expect(same.statusCode).toBe(200);
    expect(same.json()).toEqual({ ...agreement('ISA-N', 'active'), version: 1, warnings: [] });
    expect((await status('ISA-N', 1, 'active')).json()).toMatchObject({ version: 1, status: 'active' });
    expect(await versions('ISA-N')).toEqual([[1, 'active']]);
    expect(await changes('ISA-N')).toEqual(['register.agreement.create']);
    expect(await registerVersion()).toBe(was);

    // A real change is a version as before; the version asked for is still checked first.
    expect((await send('PUT', '/v1/register/agreements/ISA-N', { version: 1, categories: ['identity'] })).json()).toMatchObject({ version: 2 });
    expect((await send('PUT', '/v1/register/agreements/ISA-N', { version: 1, categories: ['identity'] })).statusCode).toBe(409);
    expect(await changes('ISA-N')).toEqual(['register.agreement.create', 'register.agreement.update']);
  });
});
