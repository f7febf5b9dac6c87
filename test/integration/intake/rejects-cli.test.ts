import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRevenuesFile } from '../../../bench/intake.js';
import { createTestDatabase } from '../../support/db.js';
import { run, start } from '../../support/process.js';

// Refused by the argument parser before any database is opened: the URL below is never reached.
const env = { DATABASE_URL: 'postgres://hub:hub@127.0.0.1:1/hub', LOG_LEVEL: 'warn' };

describe('hub rejects', () => {
  it('refuses an --intake or --limit that is not a whole number, naming the option, instead of a database error', async () => {
    for (const [option, value] of [['--intake', 'abc'], ['--limit', '-1']] as const) {
      const result = await run('src/cli/main.ts', ['rejects', 'revenues', option, value], env);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`option '${option} <`);
      expect(result.stderr).toContain(`argument '${value}' is invalid`);
      expect(result.stderr).not.toMatch(/bigint|LIMIT|ECONNREFUSED/);
    }
  });
});

describe('hub rejects and hub ingest on a real database', () => {
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  const dbEnv = () => ({ DATABASE_URL: db.url, LOG_LEVEL: 'warn', HUB_DEMO: 'false' });
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('says a source system it does not know is unknown, and exits non-zero, instead of printing nothing', async () => {
    const unknown = await run('src/cli/main.ts', ['rejects', 'nosuch'], dbEnv());
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe('citizen hub: unknown source system "nosuch": not one the hub has a mapping for (revenues, housing, social-care, smartcard), and nothing has been taken in for it\n');
    // A shipped system without rejects is no error, but says so; an intake that is not the system's is.
    const none = await run('src/cli/main.ts', ['rejects', 'housing'], dbEnv());
    expect(none).toMatchObject({ code: 0, stdout: '', stderr: 'no rejects of housing\n' });
    const noIntake = await run('src/cli/main.ts', ['rejects', 'housing', '--intake', '999'], dbEnv());
    expect(noIntake).toMatchObject({ code: 1, stderr: 'citizen hub: no intake 999 of housing\n' });
  });

  it('names an extract or a mapping file it cannot read in one line, and each problem of an invalid mapping', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-ingest-missing-'));
    try {
      const missing = path.join(dir, 'revenues.csv');
      const result = await run('src/cli/main.ts', ['ingest', 'revenues', missing, '--wait'], dbEnv());
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(`citizen hub: cannot read ${missing}: no such file\n`);
      const extract = path.join(dir, 'present.csv');
      await writeRevenuesFile(extract, 1);
      const mapping = path.join(dir, 'no-such.mapping.yaml');
      const noMapping = await run('src/cli/main.ts', ['ingest', 'revenues', extract, '--mapping', mapping, '--wait'], dbEnv());
      expect(noMapping.code).toBe(1);
      expect(noMapping.stderr).toBe(`citizen hub: cannot read ${mapping}: no such file\n`);
      // A mapping with problems lists each, with its place in the mapping and its rule, not only "invalid mapping FILE:".
      const invalid = path.join(dir, 'bad.mapping.yaml');
      writeFileSync(invalid, 'reader:\n  kind: csv\n');
      const badMapping = await run('src/cli/main.ts', ['ingest', 'revenues', extract, '--mapping', invalid, '--wait'], dbEnv());
      expect(badMapping.code).toBe(1);
      expect(badMapping.stderr).toMatch(new RegExp(`^(${invalid.replace(/[.]/g, '\\.')}: /\\S*: [\\w-]+: .+\\n)+citizen hub: invalid mapping ${invalid.replace(/[.]/g, '\\.')}: \\d+ problem\\(s\\), listed above\\n$`));
      expect((await db.pool.query('SELECT 1 FROM intake')).rowCount).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses, in one line and before any work, a system the mapping is not for or that is no system name', { timeout: 240_000 }, async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-ingest-system-'));
    try {
      const extract = path.join(dir, 'revenues.csv');
      await writeRevenuesFile(extract, 1);
      const revenues = 'adapters/revenues/council-tax.mapping.yaml';
      const misnamed = await run('src/cli/main.ts', ['ingest', 'revenue', extract, '--mapping', revenues, '--wait'], dbEnv());
      expect(misnamed).toMatchObject({
        code: 1, stdout: '',
        stderr: `citizen hub: the mapping ${revenues} is for system "revenues", not "revenue": give hub ingest revenues, or a mapping for revenue\n`,
      });
      const parking = path.join(dir, 'parking.mapping.yaml');
      writeFileSync(parking, 'version: 1\nsystem: parking\nreader: { kind: csv }\nsourceRef: ACCOUNT_REF\nname: { full: LIABLE_PARTY_1 }\n');
      const other = await run('src/cli/main.ts', ['ingest', 'carparks', extract, '--mapping', parking, '--wait'], dbEnv());
      expect(other.code).toBe(1);
      expect(other.stderr).toMatch(/^citizen hub: the mapping \S+parking\.mapping\.yaml is for system "parking", not "carparks"/);
      for (const name of ['Revenues', 'r', 'revenues_2']) {
        const bad = await run('src/cli/main.ts', ['ingest', name, extract, '--mapping', revenues, '--wait'], dbEnv());
        expect(bad).toMatchObject({ code: 1, stderr: `citizen hub: "${name}" is not a source system name: lower-case letters, digits and hyphens, 2 to 40 characters, starting with a letter\n` });
      }
      expect((await db.pool.query('SELECT 1 FROM intake')).rowCount).toBe(0);
      expect((await db.pool.query('SELECT 1 FROM source_record')).rowCount).toBe(0);
      // The mapping's own system goes in as before.
      const right = await run('src/cli/main.ts', ['ingest', 'parking', extract, '--mapping', parking, '--wait'], dbEnv());
      expect(right.code).toBe(0);
      expect((await db.pool.query(`SELECT DISTINCT system FROM source_record`)).rows).toEqual([{ system: 'parking' }]);
      // Without --mapping: MAPPING_FILES names the system's mapping, or nothing does.
      const unmapped = await run('src/cli/main.ts', ['ingest', 'parking', extract, '--wait'], dbEnv());
      expect(unmapped).toMatchObject({ code: 1, stderr: 'citizen hub: no mapping for system "parking": give one with --mapping FILE, or name it in MAPPING_FILES (see docs/mapping-files.md)\n' });
      const configured = await run('src/cli/main.ts', ['ingest', 'parking', extract, '--wait'], { ...dbEnv(), MAPPING_FILES: parking });
      expect(configured.code, configured.stderr).toBe(0);
      expect(configured.stdout).toMatch(/1 read, 0 accepted .* 1 unchanged, 0 rejected/);
      expect(await run('src/cli/main.ts', ['rejects', 'parking'], { ...dbEnv(), MAPPING_FILES: parking })).toMatchObject({ code: 0, stderr: 'no rejects of parking\n' });
      // A mapping naming a category the hub's configuration does not give its system: its records would be shown as the other.
      const clinic = path.join(dir, 'clinic.mapping.yaml');
      writeFileSync(clinic, 'version: 1\nsystem: stop-smoking\ncategory: health-disability\nreader: { kind: csv }\nsourceRef: ACCOUNT_REF\nname: { full: LIABLE_PARTY_1 }\n');
      const untold = await run('src/cli/main.ts', ['ingest', 'stop-smoking', extract, '--mapping', clinic, '--wait'], dbEnv());
      expect(untold).toMatchObject({
        code: 1,
        stderr: `citizen hub: the mapping ${clinic} gives stop-smoking the category health-disability, but the hub holds stop-smoking as service-involvement: `
          + 'name the mapping in MAPPING_FILES (see docs/mapping-files.md)\n',
      });
      const weaker = path.join(dir, 'social-care.mapping.yaml');
      writeFileSync(weaker, readFileSync('adapters/social-care/clients.mapping.yaml', 'utf8').replace('system: social-care', 'system: social-care\ncategory: service-involvement'));
      expect(await run('src/cli/main.ts', ['ingest', 'social-care', extract, '--mapping', weaker, '--wait'], dbEnv())).toMatchObject({
        code: 1, stderr: expect.stringContaining('but the hub holds social-care as social-care'),
      });
      expect((await db.pool.query(`SELECT DISTINCT system FROM source_record ORDER BY system`)).rows).toEqual([{ system: 'parking' }]);
      const told = await run('src/cli/main.ts', ['ingest', 'stop-smoking', extract, '--wait'], { ...dbEnv(), MAPPING_FILES: clinic });
      expect(told.code, told.stderr).toBe(0);
      expect((await db.pool.query(`SELECT DISTINCT system FROM source_record ORDER BY system`)).rows).toEqual([{ system: 'parking' }, { system: 'stop-smoking' }]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('hub output read by a reader that stops early (| head)', () => {
  it('finishes its work and exits 0, without an EPIPE stack trace', { timeout: 120_000 }, async () => {
    const db = await createTestDatabase();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-epipe-'));
    try {
      const extract = path.join(dir, 'revenues.csv');
      const file = await writeRevenuesFile(extract, 20);
      const child = start('src/cli/main.ts', ['ingest', 'revenues', extract, '--no-progress'], { DATABASE_URL: db.url, LOG_LEVEL: 'warn', HUB_DEMO: 'false' });
      // The pipe's reader is gone before the command writes a line.
      child.stdout.destroy();
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(stderr).not.toMatch(/EPIPE|Error/);
      expect(code).toBe(0);
      const { rows } = await db.pool.query<{ status: string; accepted: number }>('SELECT status, accepted FROM intake');
      expect(rows).toEqual([{ status: 'done', accepted: file.records }]);
    } finally {
      await db.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
