import net from 'node:net';
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../../src/auth/clients.js';
import { generateKey } from '../../../src/auth/keys.js';
import { openDatabase } from '../../../src/db/database.js';
import { guardPool } from '../../../src/db/pool-guard.js';
import { loadConfig } from '../../../src/config.js';
import { createLogger } from '../../../src/logging.js';
import { startHub } from '../../../src/hub.js';
import { buildApp, type HubApp } from '../../../src/server/app.js';
import { databaseHosts, databaseUnreachable } from '../../../src/server/unavailable.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

/**
 * A TCP relay to the test PostgreSQL that can be taken down (its port
 * refuses connections, those open are cut) and brought back on the same port:
 * the database out of reach and back, as the hub's pool sees it, in-process.
 */
async function relayTo(url: string) {
  const u = new URL(url);
  const socketDir = u.searchParams.get('host');
  const target: net.NetConnectOpts = socketDir ? { path: `${socketDir}/.s.PGSQL.${u.port || 5432}` } : { host: u.hostname, port: Number(u.port || 5432) };
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    for (const s of [client, upstream]) {
      open.add(s);
      s.on('close', () => open.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const proxied = new URL(url);
  proxied.searchParams.delete('host');
  proxied.hostname = '127.0.0.1';
  proxied.port = String(port);
  return {
    url: proxied.toString(),
    down() {
      server.close();
      for (const s of open) s.destroy();
    },
    up: () => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve)),
    close() {
      server.close();
      for (const s of open) s.destroy();
    },
  };
}

async function until(done: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the database out of reach', () => {
  let db: TestDatabase;
  let relay: Awaited<ReturnType<typeof relayTo>>;
  let pool: pg.Pool;
  let app: HubApp;
  const lines: Record<string, unknown>[] = [];
  const logged = (msg: RegExp) => lines.filter((l) => msg.test(String(l.msg)));

  beforeAll(async () => {
    db = await createTestDatabase();
    relay = await relayTo(db.appUrl);
    // Guarded as the hub's pools are: a client cut off, idle or checked out, must not end the process.
    pool = guardPool(new pg.Pool({ connectionString: relay.url, max: 4 }), () => undefined);
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
        done();
      },
    });
    app = await buildApp({ config: { bodyLimit: 1024 * 1024, rateLimitPerMinute: 100_000 }, pool, logger: createLogger('info', sink) });
    await app.ready();
    await until(() => app.apiKeyCache.listening, 'the key cache to listen');
  });
  afterAll(async () => {
    await app.close();
    await pool.end();
    relay.close();
    await db.drop();
  });

  it('answers 503 service-unavailable with Retry-After, logs each outage once, and works again when the database is back', async () => {
    const key = (await createClient(db.appPool, { org: 'Test Council Contact Centre', role: 'adviser', systems: [] })).key;
    const me = () => app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${key}` } });
    expect((await me()).statusCode).toBe(200);

    relay.down();
    try {
      await until(() => !app.apiKeyCache.listening, 'the key cache to hear it lost its connection');
      const refused = await me();
      expect(refused.statusCode).toBe(503);
      expect(refused.headers['retry-after']).toBe('5');
      expect(String(refused.headers['content-type'])).toMatch(/^application\/problem\+json/);
      expect(refused.json()).toMatchObject({ status: 503, code: 'service-unavailable', detail: expect.stringMatching(/database cannot be reached/) });
      expect((await app.inject('/ready')).statusCode).toBe(503);
      // Passes every 150 ms meanwhile: the sealer's failure is logged once, without a stack.
      await new Promise((resolve) => setTimeout(resolve, 700));
      const sealing = logged(/^audit sealing/);
      expect(sealing).toHaveLength(1);
      expect(sealing[0]).toMatchObject({ level: 50, msg: expect.stringMatching(/the database cannot be reached/) });
      expect(sealing[0]!.err).toBeUndefined();
      const request = logged(/^request refused: the database cannot be reached/);
      expect(request.length).toBeGreaterThan(0);
      expect(request[0]!.err).toBeUndefined();
    } finally {
      await relay.up();
    }
    await until(async () => (await me()).statusCode === 200, 'the API to work again');
    await until(() => logged(/^audit sealing works again/).length === 1, 'the sealer to say it works again');
    await until(() => app.apiKeyCache.listening, 'the key cache to listen again');
    expect(logged(/^audit sealing/)).toHaveLength(2);
    // The key cache reconnects every second while the database is down: one line when lost, one when back.
    expect(logged(/^API key cache/).map((l) => l.msg)).toEqual([
      expect.stringMatching(/the database cannot be reached/),
      expect.stringMatching(/works again$/),
    ]);
    expect(JSON.stringify(lines)).not.toContain('"stack"');
  });

  it('keeps the process up when the server ends the connection of a client of the database\'s pool, idle or checked out', async () => {
    const messages: string[] = [];
    const database = await openDatabase(loadConfig({ DATABASE_URL: db.url, DATABASE_APP_URL: db.appUrl }), { log: (m) => messages.push(m) });
    const terminate = (pid: number) => db.pool.query('SELECT pg_terminate_backend($1)', [pid]);
    try {
      const held = await database.pool.connect();
      const idle = await database.pool.connect();
      const pidOf = async (client: pg.PoolClient) => (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
      const [heldPid, idlePid] = [await pidOf(held), await pidOf(idle)];
      idle.release();
      // Unguarded, each error event is thrown as an uncaught exception, failing this test file.
      await terminate(heldPid);
      await terminate(idlePid);
      await until(() => messages.some((m) => m.startsWith('database pool: ')), 'the pool to report its idle client lost');
      await expect(held.query('SELECT 1')).rejects.toThrow();
      held.release(true);
      expect((await database.pool.query<{ one: number }>('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    } finally {
      await database.close();
    }
  });

  it('tells connection failures from other errors', () => {
    const withCode = (code: string, extra: object = {}) => Object.assign(new Error('x'), { code, ...extra });
    const hosts = databaseHosts(new pg.Pool({ connectionString: 'postgres://hub@DB.Council.example:5432/hub' }));
    for (const error of [
      withCode('ECONNREFUSED'), withCode('ECONNRESET'), withCode('57P01'), withCode('57P02'), withCode('57P03'), withCode('08006'), withCode('08001'),
      withCode('53300'), withCode('ENOENT', { syscall: 'connect' }),
      withCode('ENOTFOUND', { syscall: 'getaddrinfo', hostname: 'db.council.example' }), withCode('EAI_AGAIN', { syscall: 'getaddrinfo', hostname: 'DB.council.example' }),
      new Error('Connection terminated unexpectedly'), new Error('timeout exceeded when trying to connect'),
      new Error('Connection terminated due to connection timeout'), new Error('wrapped', { cause: withCode('ECONNREFUSED') }),
    ]) expect(databaseUnreachable(error, hosts), String((error as { code?: string }).code ?? error.message)).toBe(true);
    for (const error of [
      withCode('23505'), withCode('57014'), withCode('ENOENT', { syscall: 'open' }), new Error('boom'), null, 'ECONNREFUSED',
      // Another host's name not resolving (a webhook receiver's) is no database outage.
      withCode('ENOTFOUND', { syscall: 'getaddrinfo', hostname: 'receiver.partner.example' }), withCode('EAI_AGAIN', { syscall: 'getaddrinfo', hostname: 'receiver.partner.example' }),
    ]) {
      expect(databaseUnreachable(error, hosts), String((error as { code?: string } | null)?.code ?? error)).toBe(false);
    }
  });

  it('answers 503 with Retry-After when the database\'s host name does not resolve, or it has no connection left for the hub', async () => {
    const refused = async (poolOf: () => pg.Pool) => {
      const unreachable = poolOf();
      const hub = await buildApp({ config: { bodyLimit: 1024 * 1024, rateLimitPerMinute: 100_000 }, pool: unreachable, logger: createLogger('silent') });
      try {
        await hub.ready();
        return await hub.inject({ url: '/v1/me', headers: { authorization: `Bearer ${generateKey().key}` } });
      } finally {
        await hub.close();
        await unreachable.end();
      }
    };
    // .invalid never resolves (RFC 2606).
    const unresolved = await refused(() => guardPool(new pg.Pool({ connectionString: 'postgres://hub@db.hub-test.invalid:5432/hub', max: 2 }), () => undefined));
    const name = new URL(db.appUrl).pathname.slice(1);
    await db.pool.query(`ALTER DATABASE ${name} CONNECTION LIMIT 0`);
    let full;
    try {
      full = await refused(() => guardPool(new pg.Pool({ connectionString: db.appUrl, max: 2 }), () => undefined));
    } finally {
      await db.pool.query(`ALTER DATABASE ${name} CONNECTION LIMIT -1`);
    }
    for (const response of [unresolved, full]) {
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.json()).toMatchObject({ status: 503, code: 'service-unavailable', detail: expect.stringMatching(/database cannot be reached/) });
    }
  });

  it('answers 503 for a statement whose backend was terminated (admin shutdown, 57P01)', async () => {
    const key = (await createClient(db.appPool, { org: 'Test Council Contact Centre', role: 'adviser', systems: [] })).key;
    // A key not seen before is looked up on the pool: its connections are cut by the server while the lookup waits behind a lock.
    const owner = await db.pool.connect();
    try {
      await owner.query('BEGIN');
      await owner.query('LOCK TABLE api_client IN ACCESS EXCLUSIVE MODE');
      const pending = app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${key}` } });
      await until(async () => (await owner.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")).rowCount! > 0, 'the lookup to wait');
      await owner.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()");
      const response = await pending;
      expect(response.statusCode).toBe(503);
      expect(response.headers['retry-after']).toBe('5');
      expect(response.json()).toMatchObject({ code: 'service-unavailable' });
    } finally {
      await owner.query('ROLLBACK');
      owner.release();
    }
    expect((await app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(200);
  });

  it('stops the whole hub at once after the database was away and came back, and while it is away', async () => {
    for (const back of [true, false]) {
      const [owner, app] = [await relayTo(db.url), await relayTo(db.appUrl)];
      const config = loadConfig({ DATABASE_URL: owner.url, DATABASE_APP_URL: app.url, PORT: '0', LOG_LEVEL: 'silent', HUB_DEMO: 'false', SHUTDOWN_TIMEOUT_MS: '20000' });
      const hub = await startHub(config, { api: true, workers: true });
      try {
        await until(() => hub.app!.apiKeyCache.listening, 'the key cache to listen');
        owner.down();
        app.down();
        await until(() => !hub.app!.apiKeyCache.listening, 'the key cache to hear it lost its connection');
        if (back) {
          await Promise.all([owner.up(), app.up()]);
          await until(() => hub.app!.apiKeyCache.listening, 'the key cache to listen again');
        }
        const started = performance.now();
        await hub.stop();
        // Every pool and loop let go: nothing waits out the 20 s grace period.
        expect(performance.now() - started, back ? 'after the database came back' : 'while the database is away').toBeLessThan(5_000);
      } finally {
        owner.close();
        app.close();
      }
    }
  }, 60_000);
});
