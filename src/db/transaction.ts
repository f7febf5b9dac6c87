/** One transaction on one pooled connection, for the modules that need one. */
import type pg from 'pg';

/** Runs `fn` in a transaction: COMMIT when it returns, ROLLBACK when it throws; the connection goes back to the pool either way. */
export async function transaction<T>(pool: pg.Pool, fn: (db: pg.PoolClient) => Promise<T>): Promise<T> {
  const db = await pool.connect();
  try {
    await db.query('BEGIN');
    const result = await fn(db);
    await db.query('COMMIT');
    return result;
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    db.release();
  }
}
