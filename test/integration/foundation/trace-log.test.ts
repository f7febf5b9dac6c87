import net from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../../src/auth/clients.js';
import { createLogger } from '../../../src/logging.js';
import { buildApp, type HubApp } from '../../../src/server/app.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

/** Sends raw bytes and waits for the server to answer and hang up. */
function sendRaw(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const socket = net.connect(port, '127.0.0.1', () => socket.write(bytes));
    socket.on('data', (d) => (answer += d));
    socket.on('close', () => resolve(answer));
    socket.on('error', reject);
  });
}

describe('the log at LOG_LEVEL=trace', () => {
  let db: TestDatabase;
  let app: HubApp;
  const lines: string[] = [];
  beforeAll(async () => {
    db = await createTestDatabase();
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    app = await buildApp({ config: { bodyLimit: 1024, rateLimitPerMinute: 1000 }, pool: db.appPool, logger: createLogger('trace', sink) });
    await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app.close();
    await db.drop();
  });

  it('keeps the raw bytes of a request the HTTP parser refused (its API key, its query) out of it', async () => {
    const port = (app.server.address() as net.AddressInfo).port;
    const key = `chub_00000000000000ab_${'S'.repeat(43)}`;
    const answer = await sendRaw(port, `GET /v1/citizens?surname=QUIXLEY HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nBad Header\r\n\r\n`);
    expect(answer).toMatch(/^HTTP\/1.1 400/);
    const log = lines.join('');
    expect(log).toContain('client error');
    const bytes = (text: string) => [...Buffer.from(text)].join(',');
    for (const secret of [key, 'QUIXLEY']) {
      expect(log).not.toContain(secret);
      expect(log).not.toContain(bytes(secret));
    }
  });

  it('keeps credentials, under any spelling, and the personal values of query strings and paths out of it', async () => {
    const base = `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`;
    const adviser = (await createClient(db.appPool, { org: 'Trace Council Contact Centre', role: 'adviser' })).key;
    const dpo = (await createClient(db.appPool, { org: 'Trace Council Information Governance', role: 'dpo' })).key;
    const subscriber = (await createClient(db.appPool, { org: 'Trace Council Contact Centre', role: 'adviser' })).client.id;
    const personal = {
      surname: 'ZEBEDEE', dob: '1961-07-08', postcode: 'ZZ99 3ZZ', phone: '07700900123', email: 'j.zebedee@example.org', nhsNumber: '9434765919', nino: 'QQ123456C',
    };
    await fetch(`${base}/v1/citizens?${new URLSearchParams(personal)}`, { headers: { authorization: `Bearer ${adviser}` } });
    // A smartcard record's source reference is the card number.
    await fetch(`${base}/v1/citizens/C1/links/smartcard/6339190012345678?reason=Zebedee+moved`, { method: 'DELETE', headers: { 'x-api-key': adviser } });
    const made = await fetch(`${base}/v1/subscriptions`, {
      method: 'POST', headers: { authorization: `Bearer ${dpo}`, 'content-type': 'application/json' },
      body: JSON.stringify({ clientId: subscriber, purpose: 'contact-centre-enquiry', url: 'https://receiver.example.org/hook' }),
    });
    expect(made.status).toBe(201);
    const subscription = (await made.json()) as { secret: string };

    const credentials = {
      headers: { Authorization: 'Bearer hdr-auth-7Qx', 'X-API-KEY': 'hdr-key-7Qx', Cookie: 'session=hdr-cookie-7Qx', 'x-break-glass-reason': 'Mrs Zebedee fell' },
      // Not `body`, which is redacted whole: each key here must be recognised as a credential by itself.
      fields: { apiKey: 'body-apikey-7Qx', api_key: 'body-api_key-7Qx', token: 'body-token-7Qx', accessToken: 'body-access-7Qx', password: 'body-password-7Qx', nested: { clientSecret: 'body-secret-7Qx' } },
    };
    app.log.info({ request: credentials, subscription }, 'test: a request and a subscription');
    app.log.error({ err: Object.assign(new Error('receiver refused'), { token: 'err-token-7Qx', config: { headers: { AUTHORIZATION: 'Bearer err-auth-7Qx' } } }) }, 'test: an error');

    const log = lines.join('');
    expect(log).toContain(`"url":"/v1/citizens?${Object.keys(personal).map((k) => `${k}=[redacted]`).join('&')}"`);
    expect(log).toContain('"url":"/v1/citizens/:ref/links/:system/:sourceRef?reason=[redacted]"');
    expect(log).toContain('test: an error');
    const secrets = [
      adviser, dpo, subscription.secret, ...Object.values(personal), encodeURIComponent(personal.postcode), encodeURIComponent(personal.email), '6339190012345678', 'Zebedee',
      'hdr-auth-7Qx', 'hdr-key-7Qx', 'hdr-cookie-7Qx', 'body-apikey-7Qx', 'body-api_key-7Qx', 'body-token-7Qx', 'body-access-7Qx', 'body-password-7Qx', 'body-secret-7Qx',
      'err-token-7Qx', 'err-auth-7Qx',
    ];
    for (const secret of secrets) expect(log).not.toContain(secret);
  });
});
