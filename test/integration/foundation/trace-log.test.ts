import net from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
});
