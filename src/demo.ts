/**
 * The first start on an empty database loads a demo council, so that a new
 * user sees a working hub at once: a generated 20,000-address gazetteer,
 * written as AddressBase Premium and imported like any real supply. All of
 * it is synthetic (fixtures/), never real people or places.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import type { Logger } from 'pino';
import { generateCouncil } from '../fixtures/council/generate.js';
import { writeAbp } from '../fixtures/council/write-abp.js';
import { importGazetteer } from './gazetteer/import.js';

export const DEMO_COUNCIL = { seed: 2026, addresses: 20_000, name: 'DEMOSHIRE' } as const;

const ANY_GAZETTEER = `SELECT EXISTS (SELECT 1 FROM gazetteer_import WHERE status = 'applied') AS loaded`;

export async function loadDemoIfEmpty(pool: pg.Pool, url: string, logger: Logger): Promise<boolean> {
  if ((await pool.query<{ loaded: boolean }>(ANY_GAZETTEER)).rows[0]!.loaded) return false;
  const started = performance.now();
  logger.info({ addresses: DEMO_COUNCIL.addresses }, 'first start: loading the demo council');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'citizen-hub-demo-'));
  try {
    const file = path.join(dir, 'AddressBasePremium_FULL_demo_001.csv');
    await writeAbp(generateCouncil(DEMO_COUNCIL), file, { custodianName: DEMO_COUNCIL.name });
    const summary = await importGazetteer(url, [file]);
    logger.info({ addresses: summary.addresses, ms: Math.round(performance.now() - started) }, 'demo council loaded');
    return true;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
