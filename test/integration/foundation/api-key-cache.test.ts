import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revokeClient } from '../../../src/auth/clients.js';
import { createTestHub, type TestHub } from '../../support/app.js';

/** Polls until `done` holds, for up to 5 s (a notification crosses two connections and the event loop). */
async function until(done: () => boolean | Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('API keys checked lately', () => {
  let hub: TestHub;
  const me = (key: string) => hub.app.inject({ url: '/v1/me', headers: { authorization: `Bearer ${key}` } });

  beforeAll(async () => {
    hub = await createTestHub();
    await until(() => hub.app.apiKeyCache.listening, 'the cache to listen');
  });
  afterAll(async () => hub.close());

  it('authenticates a key seen before without a query, and refuses it once its revocation is heard', async () => {
    const key = await hub.keyFor('adviser');
    expect((await me(key)).statusCode).toBe(200);
    const hits = hub.app.apiKeyCache.hits;
    expect((await me(key)).statusCode).toBe(200);
    expect(hub.app.apiKeyCache.hits).toBe(hits + 1);
    const metrics = (await hub.app.inject('/metrics')).body;
    expect(metrics).toMatch(/^hub_api_key_cache_listening 1$/m);
    expect(metrics).toMatch(new RegExp(`^hub_api_key_cache_hits_total ${hits + 1}$`, 'm'));

    // As `hub clients revoke` does, from another session: the hub hears of it by NOTIFY, not by its own call.
    await hub.db.pool.query('UPDATE api_client SET revoked_at = now() WHERE key_id = $1', [key.split('_')[1]]);
    await until(async () => (await me(key)).statusCode === 401, 'the revoked key to be refused');
    expect((await me(key)).json()).toMatchObject({ code: 'unauthorised' });
  });

  it('forgets every key when an organisation changes (its name is part of the client)', async () => {
    const key = await hub.keyFor('adviser', 'Northby Parking Services');
    expect((await me(key)).json()).toMatchObject({ organisation: 'Northby Parking Services' });
    expect((await me(key)).statusCode).toBe(200);
    await hub.db.pool.query("UPDATE organisation SET name = 'Northby Parking and Transport' WHERE name = 'Northby Parking Services'");
    await until(async () => (await me(key)).json<{ organisation: string }>().organisation === 'Northby Parking and Transport', 'the new name');
  });

  it('looks every key up while its notifications are lost, and remembers again once they are back', async () => {
    const key = await hub.keyFor('caseworker');
    expect((await me(key)).statusCode).toBe(200);
    const cache = hub.app.apiKeyCache;
    const before = cache.generation;
    const { rows } = await hub.db.pool.query(
      "SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity WHERE application_name = 'hub-api-key-cache' AND datname = current_database()");
    expect(rows).toEqual([{ done: true }]);
    await until(() => cache.generation > before, 'the lost connection to be noticed');
    // Checked while nobody listens (so not remembered), then revoked: no notification reaches the hub, yet the key is
    // refused at once. (The listener reconnects after 1 s; these few requests take milliseconds.)
    expect(cache.listening).toBe(false);
    const hits = cache.hits;
    expect((await me(key)).statusCode).toBe(200);
    await revokeClient(hub.db.pool, key);
    expect((await me(key)).statusCode).toBe(401);
    expect(cache.hits).toBe(hits);

    await until(() => cache.listening, 'the cache to listen again');
    const other = await hub.keyFor('caseworker');
    expect((await me(other)).statusCode).toBe(200);
    const resumed = cache.hits;
    expect((await me(other)).statusCode).toBe(200);
    expect(cache.hits).toBe(resumed + 1);
  });
});
