import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { run } from '../../support/process.js';
import { population, store } from './people.js';

const HUB = 'test/integration/linkage/hub-linkage.ts';

describe('hub linkage train, hub linkage run and hub export matches', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-matches-'));
  let db: TestDatabase;
  const env = () => ({ DATABASE_URL: db.url, LOG_LEVEL: 'warn' });
  beforeAll(async () => {
    db = await createTestDatabase();
    await store(db.pool, population(8, 100));
  });
  afterAll(async () => {
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses to link before a model is trained', async () => {
    const result = await run(HUB, ['linkage', 'run'], env());
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/hub linkage train/);
  });

  it('trains, links everything once, and exports one row per source record', async () => {
    const trained = await run(HUB, ['linkage', 'train', '--seed', '7'], env());
    expect(trained.code).toBe(0);
    expect(trained.stdout).toMatch(/person model version 1: \d+ records/);
    const linked = await run(HUB, ['linkage', 'run', '--no-progress'], env());
    expect(linked.code).toBe(0);
    const records = Number((await db.pool.query<{ n: string }>('SELECT count(*) AS n FROM source_record WHERE current')).rows[0]!.n);
    expect(linked.stderr).toMatch(new RegExp(`^${records} records in`));
    const again = await run(HUB, ['linkage', 'run', '--no-progress'], env());
    expect(again.stderr).toMatch(/^0 records in/);
    const out = path.join(dir, 'matches.csv');
    const exported = await run(HUB, ['export', 'matches', '--out', out], env());
    expect(exported.code).toBe(0);
    const rows = parse(readFileSync(out, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(records);
    expect(new Set(rows.map((r) => r.citizen_ref)).size).toBeGreaterThan(90);
    expect(new Set(rows.map((r) => r.citizen_ref)).size).toBeLessThanOrEqual(110);
  });

  it('refuses an --out it cannot write in one line, with no count and no file, before exporting anything', async () => {
    const out = path.join(dir, 'no-such-dir', 'matches.csv');
    const result = await run(HUB, ['export', 'matches', '--out', out], env());
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`citizen hub: cannot write ${out}: its directory does not exist\n`);
    expect(result.stdout).toBe('');
    const isDir = await run(HUB, ['export', 'matches', '--out', dir], env());
    expect(isDir.code).toBe(1);
    expect(isDir.stderr).toBe(`citizen hub: cannot write ${dir}: it is a directory\n`);
  });
});
