/**
 * The first start on an empty database loads a demo council, so that a new
 * user sees a working hub at once: a generated 20,000-address gazetteer,
 * written as AddressBase Premium and imported like any real supply, then
 * the four source systems' extracts of some of its residents, taken in,
 * address-matched and linked into citizen accounts like any real intake.
 * All of it is synthetic (fixtures/), never real people or places.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import type { Logger } from 'pino';
import { generateCouncil } from '../fixtures/council/generate.js';
import { writeAbp } from '../fixtures/council/write-abp.js';
import { FIXTURE_SYSTEMS, writeExtracts } from '../fixtures/people/extracts.js';
import { AddressMatcher } from './addresses/matcher.js';
import { matchSourceRecords } from './addresses/records.js';
import { importGazetteer } from './gazetteer/import.js';
import { ingestFile } from './intake/ingest-file.js';
import { linkAll } from './linkage/batch.js';
import { loadPrepareTables, openLinkage } from './linkage/context.js';
import { trainFromDatabase } from './linkage/train.js';

/** Residents kept small enough that the first start stays quick; the whole council is `npx tsx fixtures/people/cli.ts`. */
export const DEMO_COUNCIL = { seed: 2026, addresses: 20_000, name: 'DEMOSHIRE', people: 3_000 } as const;

const ANY_GAZETTEER = `SELECT EXISTS (SELECT 1 FROM gazetteer_import WHERE status = 'applied') AS loaded`;

export async function loadDemoIfEmpty(pool: pg.Pool, url: string, logger: Logger, options: { nicknamesFile?: string | null } = {}): Promise<boolean> {
  if ((await pool.query<{ loaded: boolean }>(ANY_GAZETTEER)).rows[0]!.loaded) return false;
  const started = performance.now();
  const council = { seed: DEMO_COUNCIL.seed, addresses: DEMO_COUNCIL.addresses, name: DEMO_COUNCIL.name };
  logger.info({ addresses: council.addresses }, 'first start: loading the demo council');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'citizen-hub-demo-'));
  try {
    const file = path.join(dir, 'AddressBasePremium_FULL_demo_001.csv');
    await writeAbp(generateCouncil(council), file, { custodianName: council.name });
    const summary = await importGazetteer(url, [file]);
    logger.info({ addresses: summary.addresses, ms: Math.round(performance.now() - started) }, 'demo gazetteer loaded');

    const manifest = await writeExtracts(dir, { seed: DEMO_COUNCIL.seed, council, people: DEMO_COUNCIL.people });
    const ids: number[] = [];
    for (const system of FIXTURE_SYSTEMS) {
      await ingestFile(pool, system, path.join(dir, manifest.systems[system].main.file), { today: manifest.asOf, onAccepted: async (accepted) => void ids.push(...accepted) });
    }
    const matched = await matchSourceRecords(pool, new AddressMatcher(pool), ids);
    const tables = await loadPrepareTables(options.nicknamesFile ?? null);
    await trainFromDatabase(pool, tables);
    const linked = await linkAll(await openLinkage(pool, { tables }));
    logger.info({ records: ids.length, addressesMatched: matched.matched, citizens: linked.created, ms: Math.round(performance.now() - started) }, 'demo council loaded');
    return true;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
