import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../../support/app.js';

/** PostgreSQL text cannot hold U+0000: a NUL anywhere in a request is a 400 naming where, never a 500, and never echoed. */
describe('NUL characters in requests', () => {
  let hub: TestHub;
  let dpo: string;
  let adviser: string;
  beforeAll(async () => {
    hub = await createTestHub();
    dpo = await hub.keyFor('dpo');
    adviser = await hub.keyFor('adviser');
  });
  afterAll(async () => hub.close());

  const SECRET = 'QUENTINSECRET';
  const refused = (response: { statusCode: number; payload: string; json: () => unknown }, path: string) => {
    expect(response.statusCode).toBe(400);
    const body = response.json() as { code: string; instance: string; errors?: { path: string; message: string }[] };
    expect(body.code).toBe('validation-failed');
    expect(body.errors).toEqual([{ path, message: expect.stringContaining('NUL character (U+0000)') }]);
    // The value may be personal data: neither it nor the NUL comes back (instance is the path as requested, still percent-encoded).
    expect(body.instance).not.toContain('\u0000');
    const rest = JSON.stringify({ ...body, instance: undefined });
    expect(rest).not.toContain(SECRET);
    expect(rest).not.toContain('\u0000');
    expect(rest).not.toContain('\\u0000');
  };
  const read = (url: string) => hub.app.inject({ url, headers: { authorization: `Bearer ${adviser}`, 'x-purpose': 'contact-centre-enquiry' } });

  it('refuses a body string holding NUL, naming the field', async () => {
    const consent = { purpose: 'direct-service-delivery', recipientOrgId: null, from: '2026-06-01T00:00:00Z', to: null, channel: 'telephone', evidence: `${SECRET}\u0000X` };
    const response = await hub.app.inject({ method: 'POST', url: '/v1/citizens/C1/consents', headers: { authorization: `Bearer ${dpo}` }, payload: consent });
    refused(response, 'body.evidence');
  });

  it('names a nested field, and a property name holding NUL by its object', async () => {
    const post = (url: string, payload: unknown) => hub.app.inject({ method: 'POST', url, headers: { authorization: `Bearer ${dpo}` }, payload: payload as object });
    refused(await post('/v1/register/organisations', { name: `${SECRET}\u0000`, kind: 'council-service' }), 'body.name');
    refused(await post('/v1/register/agreements', { id: 'ISA-1', purposes: ['contact-centre-enquiry', `${SECRET}\u0000`] }), 'body.purposes.1');
    refused(await post('/v1/register/organisations', { name: 'Northby', kind: 'council-service', [`${SECRET}\u0000`]: 'x' }), 'body');
  });

  it('refuses a query parameter holding NUL', async () => {
    refused(await read(`/v1/citizens?surname=${SECRET}%00C`), 'querystring.surname');
    refused(await read(`/v1/citizens?surname=A&surname=${SECRET}%00`), 'querystring.surname.1');
  });

  it('refuses a path parameter holding NUL', async () => {
    refused(await read(`/v1/citizens/${SECRET}%00C`), 'params.ref');
  });

  it('lets through requests without NUL, an escaped percent sign included', async () => {
    expect((await read('/v1/citizens?surname=SMITH')).statusCode).toBe(200);
    expect((await read('/v1/citizens?surname=A%2500')).statusCode).toBe(200);
    expect((await read('/v1/citizens/NOBODY')).statusCode).toBe(404);
  });
});
