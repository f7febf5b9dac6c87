import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endPool, guardPool } from '../../../src/db/pool-guard.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

/**
 * endPool (src/db/pool-guard.ts): the hub stops its database right after
 * ending its pools, so each connection must have closed by then, not only
 * been asked to (pg-pool's end()).
 */
describe('ending a pool', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await db.drop();
  });

  /** A guarded pool, with every client it connects. */
  const guarded = (errors: Error[] = []) => {
    const pool = guardPool(new pg.Pool({ connectionString: db.url, max: 4 }), (error) => errors.push(error));
    const clients: pg.PoolClient[] = [];
    pool.on('connect', (client) => clients.push(client as pg.PoolClient));
    return { pool, clients };
  };
  const busy = async (pool: pg.Pool, n: number) => {
    const held = await Promise.all(Array.from({ length: n }, () => pool.connect()));
    await Promise.all(held.map((client) => client.query('SELECT 1')));
    return held;
  };

  it('returns once every connection has closed its socket', async () => {
    const { pool, clients } = guarded();
    (await busy(pool, 4)).forEach((client) => client.release());
    // Idle when the pool ends: pg-pool's end() settles having asked each to end, before their sockets close.
    await endPool(pool);
    expect(clients).toHaveLength(4);
    expect(clients.map((client) => client.connection.stream.destroyed)).toEqual([true, true, true, true]);
  });

  it('waits for a connection checked out when the pool ended, once it is released', async () => {
    const { pool, clients } = guarded();
    const [held] = await busy(pool, 1);
    let released = false;
    setTimeout(() => {
      released = true;
      held!.release();
    }, 50);
    await endPool(pool);
    expect(released).toBe(true);
    expect(clients[0]!.connection.stream.destroyed).toBe(true);
  });

  it('does not wait for a connection the server ended, which the pool dropped with its error', async () => {
    const errors: Error[] = [];
    const { pool } = guarded(errors);
    const held = await busy(pool, 2);
    const { rows } = await held[0]!.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    held.forEach((client) => client.release());
    await db.pool.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
    await expect.poll(() => errors.length).toBe(1);
    const started = performance.now();
    await endPool(pool);
    // Well under endPool's cap of 5 s, which a miscounted connection would wait out.
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});
