import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeClient } from '../../../src/auth/clients.js';
import { parseKey } from '../../../src/auth/keys.js';
import type { HubApp } from '../../../src/server/app.js';
import { createTestHub, type TestHub } from '../../support/app.js';

function expectProblem(response: { statusCode: number; headers: Record<string, unknown>; json(): unknown }, status: number, code: string) {
  expect(response.statusCode).toBe(status);
  expect(String(response.headers['content-type'])).toMatch(/^application\/problem\+json/);
  const body = response.json() as Record<string, unknown>;
  expect(body).toMatchObject({ status, code, type: `https://citizen-hub.org.uk/problems/${code}` });
  expect(typeof body.title).toBe('string');
  expect(typeof body.detail).toBe('string');
  expect(body.requestId).toBe(response.headers['x-request-id']);
  return body;
}

describe('HTTP foundation', () => {
  let hub: TestHub;
  let key: string;
  beforeAll(async () => {
    hub = await createTestHub({ bodyLimit: 4096 });
    key = await hub.keyFor('adviser');
  });
  afterAll(async () => hub.close());

  it('answers /health and /ready', async () => {
    expect((await hub.app.inject('/health')).json()).toEqual({ status: 'ok' });
    const ready = await hub.app.inject('/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', migrations: 'ok' } });
  });

  it('reports not ready while a migration is missing', async () => {
    const { rows } = await hub.db.pool.query<{ name: string; run_on: Date }>('DELETE FROM pgmigrations WHERE id = (SELECT max(id) FROM pgmigrations) RETURNING name, run_on');
    try {
      const ready = await hub.app.inject('/ready');
      expect(ready.statusCode).toBe(503);
      expect(ready.json()).toMatchObject({ status: 'not-ready', checks: { migrations: 'pending' } });
    } finally {
      await hub.db.pool.query('INSERT INTO pgmigrations (name, run_on) VALUES ($1, $2)', [rows[0]!.name, rows[0]!.run_on]);
    }
  });

  it('serves the client behind a valid key', async () => {
    const response = await hub.app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${key}` } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ organisation: 'Test Council Contact Centre', role: 'adviser' });
    const viaHeader = await hub.app.inject({ url: '/v1/me', headers: { 'x-api-key': key } });
    expect(viaHeader.statusCode).toBe(200);
  });

  it('gives the same 401 for a missing, malformed, unknown, wrong-secret or revoked key', async () => {
    const revoked = await hub.keyFor('adviser');
    await revokeClient(hub.db.pool, revoked);
    const { keyId } = parseKey(key)!;
    const cases: Record<string, string | undefined> = {
      missing: undefined,
      malformed: 'Bearer not-a-key',
      unknown: `Bearer chub_0000000000000000_${'A'.repeat(43)}`,
      wrongSecret: `Bearer chub_${keyId}_${'B'.repeat(43)}`,
      revoked: `Bearer ${revoked}`,
    };
    const bodies = [];
    for (const authorization of Object.values(cases)) {
      const response = await hub.app.inject({ url: '/v1/me', headers: authorization ? { authorization } : {} });
      const body = expectProblem(response, 401, 'unauthorised');
      expect(response.headers['www-authenticate']).toBe('Bearer');
      bodies.push({ ...body, requestId: undefined });
    }
    expect(new Set(bodies.map((b) => JSON.stringify(b))).size).toBe(1);
  });

  it('needs a key for a /v1 route reached through a percent-encoded path', async () => {
    // The router decodes %76 to v: these reach /v1 routes that never ask for the client themselves.
    for (const url of ['/%761/addresses?q=high', '/%761/addresses/match?text=1+high+street', '/%76%31/streets/1', '/%761/me']) {
      expectProblem(await hub.app.inject({ url }), 401, 'unauthorised');
    }
  });

  it('authenticates requests that arrive together each by its own key, looked up together', async () => {
    const dpo = await hub.keyFor('dpo');
    const revoked = await hub.keyFor('adviser');
    await revokeClient(hub.db.pool, revoked);
    const keys = [key, dpo, revoked, key, 'not-a-key', dpo];
    const responses = await Promise.all(keys.map((k) => hub.app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${k}` } })));
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 401, 200, 401, 200]);
    expect(responses.map((r) => (r.statusCode === 200 ? (r.json() as { role: string }).role : null))).toEqual(['adviser', 'dpo', null, 'adviser', null, 'dpo']);
  });

  it('refuses a body over the limit with 413 problem+json', async () => {
    const response = await hub.app.inject({
      method: 'POST', url: '/v1/me', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ filler: 'x'.repeat(10_000) }),
    });
    expectProblem(response, 413, 'payload-too-large');
  });

  it('answers unknown routes with 404 problem+json and echoes a sane request id', async () => {
    const response = await hub.app.inject({ url: '/nowhere', headers: { 'x-request-id': 'crm-1234' } });
    expectProblem(response, 404, 'not-found');
    expect(response.headers['x-request-id']).toBe('crm-1234');
    const hostile = await hub.app.inject({ url: '/nowhere', headers: { 'x-request-id': 'bad id\nwith newline' } });
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers a malformed path, or a path parameter too long for the router, as problem+json without echoing the URL', async () => {
    const cases: [string, number, string][] = [
      ['/v1/citizens/%zz?surname=QUIXLEY', 400, 'bad-request'],
      [`/v1/citizens/${'Q'.repeat(101)}?surname=QUIXLEY`, 404, 'not-found'],
    ];
    for (const [url, status, code] of cases) {
      const response = await hub.app.inject({ url, headers: { 'x-request-id': 'crm-5678' } });
      const body = expectProblem(response, status, code);
      expect(body.instance).toBe(url.split('?')[0]);
      expect(response.body).not.toContain('QUIXLEY');
      expect(response.headers['x-request-id']).toBe('crm-5678');
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
    }
  });

  it('takes an integer parameter in decimal digits only', async () => {
    const get = (url: string, k = key) => hub.app.inject({ url, headers: { authorization: `Bearer ${k}` } });
    for (const limit of ['0x10', '1e2', '%207', '%2B5', '1.0', '0b1', '']) {
      const response = await get(`/v1/addresses?q=high&limit=${limit}`);
      const body = expectProblem(response, 400, 'validation-failed');
      expect(body.errors, limit).toEqual([{ path: 'querystring.limit', message: 'must be an integer written in decimal digits' }]);
    }
    expect((await get('/v1/addresses?q=high&limit=16')).statusCode).toBe(200);
    const admin = await hub.keyFor('admin');
    expect(expectProblem(await get('/v1/subscriptions/0x10', admin), 400, 'validation-failed').errors).toEqual([{ path: 'params.id', message: 'must be an integer written in decimal digits' }]);
    expectProblem(await get('/v1/subscriptions/16', admin), 404, 'not-found');
  });

  it('tells a JSON body refused for prototype poisoning from one that is not JSON', async () => {
    const dpo = await hub.keyFor('dpo');
    const post = (url: string, payload: string, k = dpo) => hub.app.inject({ method: 'POST', url, payload, headers: { authorization: `Bearer ${k}`, 'content-type': 'application/json' } });
    const cases: [string, string][] = [
      ['{"name":"Poisoned","kind":"other","__proto__":{"admin":true}}', 'body'],
      ['{"name":"Poisoned","kind":"other","\\u005f_proto__":{}}', 'body'],
      ['{"name":"Poisoned","kind":"other","tags":[{"constructor":{"prototype":{}}}]}', 'body.tags.0.constructor'],
    ];
    for (const [payload, path] of cases) {
      const body = expectProblem(await post('/v1/register/organisations', payload), 400, 'forbidden-property-name');
      expect(body.detail).toMatch(/valid JSON/);
      expect((body.errors as { path: string }[])[0]!.path, payload).toBe(path);
    }
    expect(expectProblem(await post('/v1/register/organisations', '{"name":'), 400, 'bad-request').detail).toMatch(/not valid JSON/);
    // The push intake reads JSON with a parser of its own (every digit of a number kept): it refuses the same way.
    const source = await hub.keyFor('source-system', 'Test Council Contact Centre', ['revenues']);
    expectProblem(await post('/v1/sources/revenues/records', '[{"__proto__":{"x":1}}]', source), 400, 'forbidden-property-name');
  });

  it('answers a method a path does not have with 405 and Allow, after authentication', async () => {
    const health = await hub.app.inject({ method: 'DELETE', url: '/health' });
    expectProblem(health, 405, 'method-not-allowed');
    expect(health.headers.allow).toBe('GET, HEAD');
    const me = await hub.app.inject({ method: 'PATCH', url: '/v1/me', headers: { authorization: `Bearer ${key}` } });
    expectProblem(me, 405, 'method-not-allowed');
    expect(me.headers.allow).toBe('GET, HEAD');
    const citizen = await hub.app.inject({ method: 'PATCH', url: '/v1/citizens/ZEBEDEE4857773456', headers: { authorization: `Bearer ${key}` } });
    const body = expectProblem(citizen, 405, 'method-not-allowed');
    expect(body.detail).toContain('/v1/citizens/:ref');
    expect(body.detail).not.toContain('ZEBEDEE');
    // Without a key, a /v1 path is 401 whether it exists or not, with any method: nothing tells which routes there are.
    expectProblem(await hub.app.inject({ method: 'PATCH', url: '/v1/me' }), 401, 'unauthorised');
    expectProblem(await hub.app.inject({ method: 'PATCH', url: '/v1/nowhere' }), 401, 'unauthorised');
    expectProblem(await hub.app.inject({ method: 'PATCH', url: '/v1/nowhere', headers: { authorization: `Bearer ${key}` } }), 404, 'not-found');
    expectProblem(await hub.app.inject({ method: 'DELETE', url: '/nowhere' }), 404, 'not-found');
  });

  it('sets security headers', async () => {
    const response = await hub.app.inject('/health');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['strict-transport-security']).toBeDefined();
    expect(response.headers['x-frame-options']).toBeDefined();
    expect(response.headers['cache-control']).toBe('no-store');
    // JSON only: no page to protect with a Content-Security-Policy.
    expect(response.headers['content-security-policy']).toBeUndefined();
    // On errors too, whichever hook answers them.
    for (const url of ['/nowhere', '/v1/me']) {
      const refused = await hub.app.inject(url);
      expect(refused.statusCode).toBeGreaterThanOrEqual(400);
      expect(refused.headers['x-content-type-options'], url).toBe('nosniff');
      expect(refused.headers['strict-transport-security']).toBeDefined();
      expect(refused.headers['cache-control']).toBe('no-store');
    }
  });

  it('exposes Prometheus metrics', async () => {
    await hub.app.inject('/health');
    const response = await hub.app.inject('/metrics');
    expect(response.statusCode).toBe(200);
    expect(response.body).toContain('hub_http_request_duration_seconds_bucket');
    expect(response.body).toContain('route="/health"');
  });

  it('publishes a valid OpenAPI 3 document and Swagger UI', async () => {
    const doc = (await hub.app.inject('/docs/json')).json() as {
      openapi: string;
      paths: Record<string, unknown>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Problem', 'SourceRecord', 'CitizenView']));
    expect(Object.keys(doc.components.schemas['SourceRecord']?.properties ?? {})).toEqual(
      expect.arrayContaining(['system', 'sourceRef', 'names', 'dateOfBirth', 'identifiers', 'contacts', 'addresses', 'entitlements', 'involvements']),
    );
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health', '/ready', '/v1/me']));
    // A query parameter with a default may be left out; one without is still required where its schema says so.
    const params = (path: string) => Object.fromEntries(((doc.paths[path] as { get: { parameters: { name: string; required?: boolean }[] } }).get.parameters)
      .map((p) => [p.name, p.required ?? false]));
    expect(params('/v1/review/people')).toEqual({ after: false, limit: false });
    expect(params('/v1/addresses/match')).toMatchObject({ text: true });
    // Every route about one citizen answers a merged reference with 308 to the survivor, and says so (a steward's
    // link or unlink acts on the survivor itself).
    const aboutOne = Object.entries(doc.paths).filter(([path]) => path.startsWith('/v1/citizens/{ref}') && !path.startsWith('/v1/citizens/{ref}/links'))
      .flatMap(([path, ops]) => Object.entries(ops as Record<string, { responses: Record<string, unknown> }>).map(([method, op]) => [`${method} ${path}`, '308' in op.responses]));
    expect(aboutOne.length).toBeGreaterThan(10);
    expect(aboutOne.filter(([, documented]) => !documented)).toEqual([]);
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
    const ui = await hub.app.inject('/docs/');
    expect(ui.statusCode).toBe(200);
    expect(ui.body).toContain('swagger');
  });

  it('keeps personal data out of the logs', async () => {
    await hub.app.inject({ url: '/v1/me?surname=ZBOROWSKI&dob=1970-02-03', headers: { authorization: `Bearer ${key}` } });
    // A path no route matches is logged by its API words only: a name or number pasted into it is not.
    const unmatched = await hub.app.inject({ url: '/v1/citizens/ZEBEDEE%20QUARTERMAINE/4857773456/notes', headers: { authorization: `Bearer ${key}` } });
    expect(unmatched.statusCode).toBe(404);
    hub.app.log.info({ citizen: { surname: 'QUIXLEY', dateOfBirth: '1961-07-08', nhsNumber: '9434765919', contacts: [{ email: 'a.quixley@example.org' }] } }, 'test');
    const log = hub.logLines.join('\n');
    expect(log).toContain('surname=[redacted]');
    expect(log).toContain('/v1/citizens/[redacted]/[redacted]/notes');
    for (const secret of ['ZBOROWSKI', 'QUARTERMAINE', '4857773456', '1970-02-03', 'QUIXLEY', '1961-07-08', '9434765919', 'a.quixley@example.org', key]) {
      expect(log).not.toContain(secret);
    }
  });
});

describe('rate limits', () => {
  let hub: TestHub;
  beforeAll(async () => {
    hub = await createTestHub({ rateLimitPerMinute: 3 });
  });
  afterAll(async () => hub.close());

  it('limit each client separately and answer 429 problem+json', async () => {
    const a = await hub.keyFor('adviser');
    const b = await hub.keyFor('adviser');
    const call = (k: string) => hub.app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${k}` } });
    for (let i = 0; i < 3; i++) expect((await call(a)).statusCode).toBe(200);
    expectProblem(await call(a), 429, 'rate-limited');
    expect((await call(b)).statusCode).toBe(200);
  });

  it('count the requests a route refuses for the client\'s role, and record no denial past the limit', async () => {
    const key = await hub.keyFor('adviser');
    const call = () => hub.app.inject({ url: '/v1/citizens/C1/subject-access', headers: { authorization: `Bearer ${key}` } });
    for (let i = 0; i < 3; i++) expectProblem(await call(), 403, 'forbidden');
    expectProblem(await call(), 429, 'rate-limited');
    const { rows } = await hub.db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_log WHERE action = 'citizen.subject-access' AND decision = 'deny'");
    expect(rows[0]!.n).toBe(3);
  });

  it('limit requests that fail authentication per address, before their keys are looked up', async () => {
    const guess = (remoteAddress: string, i: number) => hub.app.inject({
      url: '/v1/me', remoteAddress, headers: { authorization: `Bearer chub_${i.toString(16).padStart(16, '0')}_${'A'.repeat(43)}` },
    });
    for (let i = 0; i < 3; i++) expectProblem(await guess('192.0.2.10', i), 401, 'unauthorised');
    const over = await guess('192.0.2.10', 3);
    expectProblem(over, 429, 'rate-limited');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expectProblem(await hub.app.inject({ url: '/v1/me', remoteAddress: '192.0.2.10' }), 429, 'rate-limited');
    // Another address, and a valid key from it, are not held back.
    expectProblem(await guess('192.0.2.11', 4), 401, 'unauthorised');
    const valid = await hub.keyFor('adviser');
    expect((await hub.app.inject({ url: '/v1/me', remoteAddress: '192.0.2.11', headers: { authorization: `Bearer ${valid}` } })).statusCode).toBe(200);
  });

  it.each([[['192.0.2.1']], [1]])('limit per client address behind a trusted proxy (%o), and per proxy otherwise', async (trustProxy) => {
    const proxied = await createTestHub({ rateLimitPerMinute: 2, trustProxy });
    try {
      const guess = (app: HubApp, forwardedFor: string) => app.inject({
        url: '/v1/me', remoteAddress: '192.0.2.1', headers: { 'x-forwarded-for': forwardedFor, authorization: `Bearer chub_${'0'.repeat(16)}_${'A'.repeat(43)}` },
      });
      for (const app of [proxied.app, hub.app]) {
        for (let i = 0; i < 3; i++) await guess(app, '198.51.100.7');
        expectProblem(await guess(app, '198.51.100.7'), 429, 'rate-limited');
      }
      // Another client behind the same proxy: its own limit when the proxy is trusted, the proxy's when not.
      expectProblem(await guess(proxied.app, '198.51.100.8'), 401, 'unauthorised');
      expectProblem(await guess(hub.app, '198.51.100.8'), 429, 'rate-limited');
    } finally {
      await proxied.close();
    }
  });
});
