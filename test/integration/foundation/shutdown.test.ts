import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logging.js';
import { startQueue } from '../../../src/pipeline/queue.js';
import { buildApp } from '../../../src/server/app.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('graceful shutdown', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('finishes an in-flight request before the server closes, and refuses new ones', async () => {
    const app = await buildApp({ config: { bodyLimit: 1024, rateLimitPerMinute: 1000 }, pool: db.pool, logger: createLogger('silent') });
    app.get('/slow', { schema: { hide: true } }, async () => {
      await sleep(400);
      return { done: true };
    });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const inFlight = fetch(`${address}/slow`);
    await sleep(100);
    const closing = app.close();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ done: true });
    await closing;
    await expect(fetch(`${address}/health`)).rejects.toThrow();
  });

  it('answers a request that arrives while closing with a shutting-down problem, security headers and Retry-After', async () => {
    const app = await buildApp({ config: { bodyLimit: 1024, rateLimitPerMinute: 1000 }, pool: db.pool, logger: createLogger('silent') });
    app.get('/slow', { schema: { hide: true } }, async () => {
      await sleep(400);
      return { done: true };
    });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as net.AddressInfo).port;
    const inFlight = fetch(`${address}/slow`);
    // A request whose headers are still arriving when closing starts is not on an idle connection, so it is answered.
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += d));
    const ended = new Promise((resolve) => socket.on('close', resolve));
    socket.write('GET /v1/me HTTP/1.1\r\nHost: x\r\n');
    await sleep(100);
    const closing = app.close();
    await sleep(50);
    socket.write('X-Request-Id: late-one\r\n\r\n');
    expect((await inFlight).status).toBe(200);
    await closing;
    await ended;

    expect(received).toMatch(/^HTTP\/1\.1 503 /);
    const [head, body] = received.split('\r\n\r\n');
    const headers = Object.fromEntries(head!.split('\r\n').slice(1).map((line) => {
      const at = line.indexOf(':');
      return [line.slice(0, at).toLowerCase(), line.slice(at + 1).trim()];
    }));
    expect(headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(headers['retry-after']).toBe('5');
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['cache-control']).toBe('no-store');
    expect(headers['x-request-id']).toBe('late-one');
    expect(headers.connection).toBe('close');
    expect(JSON.parse(body!)).toMatchObject({ status: 503, code: 'shutting-down', type: 'https://citizen-hub.org.uk/problems/shutting-down', requestId: 'late-one', instance: '/v1/me' });
  });

  it('answers a readiness probe that arrives while closing with the shutting-down problem, not a 500', async () => {
    const app = await buildApp({ config: { bodyLimit: 1024, rateLimitPerMinute: 1000 }, pool: db.pool, logger: createLogger('silent') });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const port = (app.server.address() as net.AddressInfo).port;
    // Its headers still arriving when closing starts, as a load balancer's probe may be.
    const socket = net.connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += d));
    const ended = new Promise((resolve) => socket.on('close', resolve));
    await new Promise((resolve) => socket.on('connect', resolve));
    socket.write('GET /ready HTTP/1.1\r\nHost: x\r\n');
    await sleep(100);
    const closing = app.close();
    await sleep(50);
    socket.write('\r\n');
    await closing;
    await ended;
    expect(received).toMatch(/^HTTP\/1\.1 503 /);
    expect(received).toMatch(/\r\nretry-after: 5\r\n/);
    expect(JSON.parse(received.split('\r\n\r\n')[1]!)).toMatchObject({ status: 503, code: 'shutting-down', instance: '/ready' });
  });

  it('waits for the job in hand before the queue stops', async () => {
    let started = false;
    let finished = false;
    const queue = await startQueue(db.url, {
      workers: true,
      log: () => undefined,
      jobs: [
        {
          name: 'test.slow',
          async handler() {
            started = true;
            await sleep(800);
            finished = true;
          },
        },
      ],
    });
    await queue.boss.send('test.slow', {});
    for (let i = 0; i < 100 && !started; i++) await sleep(50);
    expect(started).toBe(true);
    await queue.stop(10_000);
    expect(finished).toBe(true);
  });
});
