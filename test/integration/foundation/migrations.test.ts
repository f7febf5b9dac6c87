import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, pendingMigrations } from '../../../src/db/migrate.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

describe('migrations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => db.drop());

  it('apply on an empty database, then again as a no-op', async () => {
    const first = await migrate(db.url);
    expect(first.length).toBeGreaterThan(0);
    const second = await migrate(db.url);
    expect(second).toEqual([]);
    expect(await pendingMigrations(db.pool)).toEqual([]);
  });

  it('enable pg_trgm and fuzzystrmatch', async () => {
    const { rows } = await db.pool.query<{ extname: string }>(
      "SELECT extname FROM pg_extension WHERE extname IN ('pg_trgm', 'fuzzystrmatch') ORDER BY extname",
    );
    expect(rows.map((r) => r.extname)).toEqual(['fuzzystrmatch', 'pg_trgm']);
    const { rows: sim } = await db.pool.query<{ s: number; l: number }>("SELECT similarity('MILL LANE', 'MILL LN') AS s, levenshtein('SMITH', 'SMYTH') AS l");
    expect(sim[0]!.s).toBeGreaterThan(0.3);
    expect(sim[0]!.l).toBe(1);
  });
});
