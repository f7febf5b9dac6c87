/** What every pool the hub makes needs, on its own so that a pool's maker (a worker thread's too) loads nothing else. */
import type pg from 'pg';

/**
 * Every pool the hub makes goes through here: a client losing its server
 * (the server restarted, the network cut) emits an error which, with nobody
 * listening, would end the process. An idle client is dropped by the pool and
 * the error handed to `onIdleError`; one checked out between two statements
 * (a transaction, a seal pass) fails its next statement instead.
 */
export function guardPool(pool: pg.Pool, onIdleError: (error: Error) => void): pg.Pool {
  pool.on('error', onIdleError);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}
