import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AddressMatcher } from '../../../src/addresses/matcher.js';
import { importGazetteer } from '../../../src/gazetteer/import.js';
import { linkageForWorker } from '../../../src/linkage/context.js';
import { createLogger } from '../../../src/logging.js';
import { pipelineJobs, startPipeline } from '../../../src/pipeline/jobs.js';
import { startQueue, type Queue } from '../../../src/pipeline/queue.js';
import { pipelineStatus } from '../../../src/pipeline/status.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { run } from '../../support/process.js';
import { tinyAbp } from '../../support/tiny-council.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const HEADER = 'ACCOUNT_REF,LIABLE_PARTY_1,LIABLE_PARTY_2,DOB_1,DOB_2,NINO_1,NINO_2,PROPERTY_REF,ADDR_1,ADDR_2,ADDR_3,ADDR_4,POSTCODE,PHONE,EMAIL,DISCOUNT_CODES,DISCOUNT_VERIFIED_DATE,ACCOUNT_STATUS,LAST_UPDATED';

describe('intake pipeline', () => {
  let db: TestDatabase;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-pipe-'));
  beforeAll(async () => {
    db = await createTestDatabase();
    const file = path.join(dir, 'AddressBasePremium_FULL_2026-01-01_001.csv');
    writeFileSync(file, tinyAbp());
    await importGazetteer(db.url, [file]);
  });
  afterAll(async () => {
    await db.drop();

    rmSync(dir, { recursive: true, force: true });
  });

  it('ingests a Windows-1252 extract with a broken row: the rest goes on, the reject is kept, addresses are matched with --wait', async () => {
    const rows = [
      HEADER,
      'CT000001,MR JOSÉ QUINTERO,MRS ANN QUINTERO,03/04/1961,05/06/1963,AB123456C,,CTR0100001,2 MILL LANE,NORTHBY,,,ZZ1 1AB,,,SPD,,LIVE,01/06/2026 10:00:00',
      'CT000002,"MS BROKEN QUOTE,,01/01/1970,,,,,5 HIGH STREET,,,,ZZ1 2BD,,,,,LIVE,01/06/2026 10:00:00',
      'CT000003,MR £ PENNY,,01/01/1950,,,,,FLAT 2 RIVERSIDE COURT,5 HIGH ST,,,ZZ1 2BD,,,DIS,01/02/2020,LIVE,01/06/2026 10:00:00',
    ];
    const file = path.join(dir, 'revenues.csv');
    writeFileSync(file, iconv.encode(`${rows.join('\r\n')}\r\n`, 'win1252'));
    const env = { DATABASE_URL: db.url, LOG_LEVEL: 'warn' };
    const result = await run('src/cli/main.ts', ['ingest', 'revenues', file, '--wait'], env);
    expect(result.stderr).not.toMatch(/citizen hub:/);
    expect(result.code).toBe(0);
    const summary = /(\d+) read, (\d+) accepted .*?, (\d+) unchanged, (\d+) rejected/.exec(result.stdout)!;
    const [read, accepted, unchanged, rejected] = summary.slice(1).map(Number) as [number, number, number, number];
    expect(read).toBe(accepted + unchanged + rejected);
    expect(rejected).toBeGreaterThanOrEqual(1);
    expect(accepted).toBe(3);
    const names = (await db.pool.query(`SELECT record->'names'->0->>'raw' AS raw FROM source_record ORDER BY source_ref`)).rows.map((r) => r.raw);
    expect(names).toContain('MR JOSÉ QUINTERO');
    expect(names).toContain('MR £ PENNY');
    const matches = (await db.pool.query(`SELECT r.source_ref, m.uprn, m.status FROM address_match m JOIN source_record r ON r.id = m.source_record_id ORDER BY 1`)).rows;
    expect(matches).toContainEqual({ source_ref: 'CT000001-1', uprn: 100001, status: 'matched' });
    expect(matches).toContainEqual({ source_ref: 'CT000003-1', uprn: 100012, status: 'matched' });

    const rejects = await run('src/cli/main.ts', ['rejects', 'revenues'], env);
    expect(rejects.stdout).toMatch(/line 3/);
    expect(rejects.stdout).not.toContain('BROKEN');

    const again = await run('src/cli/main.ts', ['ingest', 'revenues', file, '--wait'], env);
    expect(again.stdout).toMatch(/0 accepted .*?, 3 unchanged/);
  });

  it('runs the steps as queue jobs, and shows failures and dead letters in the status', async () => {
    const matcher = new AddressMatcher(db.pool);
    let queue: Queue | null = null;
    try {
      queue = await startQueue(db.url, {
        workers: true,
        log: () => undefined,
        jobs: [
          ...pipelineJobs({ pool: db.pool, logger: createLogger('silent'), matcher, linkage: linkageForWorker(db.pool, null) }),
          { name: 'pipeline.always-fails', retryLimit: 1, retryDelaySeconds: 0, async handler() { throw new Error('synthetic failure'); } },
        ],
      });
      await db.pool.query('DELETE FROM address_match');
      const ids = (await db.pool.query<{ id: number }>('SELECT id FROM source_record WHERE current')).rows.map((r) => r.id);
      await startPipeline(queue.boss, ids);
      await queue.boss.send('pipeline.always-fails', {});
      let matched = 0;
      let dead = 0;
      for (let i = 0; i < 120 && (matched < ids.length || dead === 0); i++) {
        await sleep(250);
        matched = (await db.pool.query('SELECT 1 FROM address_match')).rowCount ?? 0;
        dead = (await pipelineStatus(db.pool)).states.filter((s) => s.queue === 'pipeline.always-fails.dead').reduce((n, s) => n + s.jobs, 0);
      }
      expect(matched).toBe(ids.length);
      const status = await pipelineStatus(db.pool);
      expect(status.states).toContainEqual({ queue: 'pipeline.match-address', state: 'completed', jobs: 1 });
      expect(dead).toBe(1);
      expect(status.failures).toContainEqual({ queue: 'pipeline.always-fails', message: 'synthetic failure', jobs: 1 });
    } finally {
      await queue?.stop(5000);
    }
  });
});
