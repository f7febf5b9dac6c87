/** One transaction on one pooled connection, for the modules that need one. */
import pg from 'pg';
import { guardPool } from './pool-guard.js';

/**
 * Runs `fn` in a transaction: COMMIT when it returns, ROLLBACK when it throws;
 * the connection goes back to the pool either way. `last`, given the value,
 * sends the transaction's final writes: the COMMIT follows them, and the value
 * is returned only when both succeed.
 *
 * On a pipelined pool (pipelinedPool) BEGIN goes out with fn's first
 * statement and COMMIT right behind `last`'s, two round trips fewer. Should
 * `last` fail there, PostgreSQL answers the COMMIT already sent with a
 * ROLLBACK, so nothing of the transaction stays and `last`'s error is thrown.
 */
export async function transaction<T>(pool: pg.Pool, fn: (db: pg.PoolClient) => Promise<T>, last?: (db: pg.PoolClient, value: T) => Promise<unknown>): Promise<T> {
  const pipelined = isPipelined(pool);
  const db = await pool.connect();
  try {
    if (!pipelined) {
      await db.query('BEGIN');
      const value = await fn(db);
      if (last) await last(db, value);
      await db.query('COMMIT');
      return value;
    }
    const [begun, running] = corked(db, () => {
      const begin = db.query('BEGIN');
      begin.catch(() => undefined);
      return [begin, fn(db)] as const;
    });
    const value = await running;
    await begun;
    const [written, committed] = await Promise.allSettled(corked(db, () => [last ? last(db, value) : Promise.resolve(), db.query('COMMIT')] as const));
    if (written.status === 'rejected') throw written.reason;
    if (committed.status === 'rejected') throw committed.reason;
    return value;
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    db.release();
  }
}

/**
 * Runs `send` with the connection's socket corked: the statements it queues
 * synchronously (each one pg writes on its own: a simple BEGIN or COMMIT, a
 * prepared statement's Bind, Execute and Sync) leave in one write, so the
 * backend is woken once for them instead of once per statement.
 */
export function corked<R>(db: pg.PoolClient, send: () => R): R {
  const stream = db.connection.stream;
  stream.cork();
  try {
    return send();
  } finally {
    stream.uncork();
  }
}

/** Whether the pool's connections pipeline their statements (made by pipelinedPool). */
export const isPipelined = (pool: pg.Pool): boolean => pool.options.pipeline === true;

/**
 * A pool with the same connection settings whose connections pipeline their
 * statements (pg's pipeline mode), for short transactions such as a citizen
 * read with its audit entry. It refuses cursors and COPY, so it is never the
 * hub's main pool. The caller ends it.
 *
 * Its connections stay open through a lull (IDLE_READ_CONNECTION_MS): each
 * plans its statements once, and the citizen view's plan is large, so a
 * connection closed after pg's default 10 s idle made the first reads after
 * any pause open connections and plan again, tens of milliseconds each.
 */
export function pipelinedPool(pool: pg.Pool, onError: (error: Error) => void): pg.Pool {
  return guardPool(new pg.Pool({ ...pool.options, pipeline: true, idleTimeoutMillis: IDLE_READ_CONNECTION_MS }), onError);
}

/** How long a pipelined pool keeps an idle connection: a contact centre's quiet spell, not a night. */
export const IDLE_READ_CONNECTION_MS = 10 * 60_000;
