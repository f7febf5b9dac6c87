/** What every pool the hub makes needs, on its own so that a pool's maker (a worker thread's too) loads nothing else. */
import type pg from 'pg';

/** Connections each guarded pool has open, counted from its 'connect' and 'remove' events. */
const open = new WeakMap<pg.Pool, { count: number; closed: Array<() => void> }>();

/**
 * Every pool the hub makes goes through here: a client losing its server
 * (the server restarted, the network cut) emits an error which, with nobody
 * listening, would end the process. An idle client is dropped by the pool and
 * the error handed to `onIdleError`; one checked out between two statements
 * (a transaction, a seal pass) fails its next statement instead.
 */
export function guardPool(pool: pg.Pool, onIdleError: (error: Error) => void): pg.Pool {
  const connections = { count: 0, closed: [] as Array<() => void> };
  open.set(pool, connections);
  pool.on('error', onIdleError);
  pool.on('connect', (client) => {
    connections.count++;
    client.on('error', () => undefined);
  });
  // After the client's socket has closed (pg-pool emits it from client.end's callback).
  pool.on('remove', () => {
    if (--connections.count > 0) return;
    for (const resolve of connections.closed.splice(0)) resolve();
  });
  return pool;
}

/** How long endPool waits for connections to close once the pool has ended: a stop is never held up for long. */
const CLOSE_WAIT_MS = 5_000;

/**
 * Ends a guarded pool and waits until each of its connections has closed.
 * pg-pool's end() settles as soon as it has asked every connection to end,
 * before their sockets have closed: a database stopped right after it (the
 * embedded server at the hub's stop) could then end a backend that had not
 * yet read its client's goodbye, whose "terminating connection due to
 * administrator command" reached the client as an error.
 */
export async function endPool(pool: pg.Pool): Promise<void> {
  await pool.end();
  const connections = open.get(pool);
  if (!connections || connections.count <= 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    new Promise<void>((resolve) => connections.closed.push(resolve)),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS).unref())),
  ]);
  clearTimeout(timer);
}
