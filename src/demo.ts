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
const DEMO_STATE = 'SELECT finished_at IS NOT NULL AS finished FROM demo_load';
const DEMO_STARTED = 'INSERT INTO demo_load DEFAULT VALUES ON CONFLICT DO NOTHING';
const DEMO_FINISHED = 'UPDATE demo_load SET finished_at = now()';
// Each step is taken again as far as the stopped load had not finished it: records stored already come in unchanged, so matching takes every record not yet matched.
const LOADED = `SELECT (SELECT count(*) FROM source_record WHERE current)::int AS records, (SELECT count(*) FROM citizen WHERE status = 'active')::int AS citizens`;
const NOT_MATCHED = 'SELECT s.id FROM source_record s WHERE s.current AND NOT EXISTS (SELECT 1 FROM address_match m WHERE m.source_record_id = s.id) ORDER BY s.id';

/**
 * Loads the demo council on a database that holds no gazetteer yet, or
 * finishes a demo load that was stopped half way; a database with a
 * gazetteer of its own (a council's) gets nothing.
 */
export async function loadDemoIfEmpty(pool: pg.Pool, url: string, logger: Logger, options: { nicknamesFile?: string | null } = {}): Promise<boolean> {
  const state = (await pool.query<{ finished: boolean }>(DEMO_STATE)).rows[0];
  if (state?.finished) return false;
  const gazetteer = (await pool.query<{ loaded: boolean }>(ANY_GAZETTEER)).rows[0]!.loaded;
  if (!state && gazetteer) return false;
  await pool.query(DEMO_STARTED);
  const started = performance.now();
  const council = { seed: DEMO_COUNCIL.seed, addresses: DEMO_COUNCIL.addresses, name: DEMO_COUNCIL.name };
  logger.info({ addresses: council.addresses }, state ? 'finishing the demo council a stopped start left half loaded' : 'first start: loading the demo council');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'citizen-hub-demo-'));
  try {
    const file = path.join(dir, 'AddressBasePremium_FULL_demo_001.csv');
    if (!gazetteer) {
      await writeAbp(generateCouncil(council), file, { custodianName: council.name });
      const summary = await importGazetteer(url, [file]);
      logger.info({ addresses: summary.addresses, ms: Math.round(performance.now() - started) }, 'demo gazetteer loaded');
    }

    const manifest = await writeExtracts(dir, { seed: DEMO_COUNCIL.seed, council, people: DEMO_COUNCIL.people });
    for (const system of FIXTURE_SYSTEMS) await ingestFile(pool, system, path.join(dir, manifest.systems[system].main.file), { today: manifest.asOf });
    const ids = (await pool.query<{ id: string }>(NOT_MATCHED)).rows.map((r) => Number(r.id));
    const matched = await matchSourceRecords(pool, new AddressMatcher(pool), ids);
    const tables = await loadPrepareTables(options.nicknamesFile ?? null);
    await trainFromDatabase(pool, tables);
    await linkAll(await openLinkage(pool, { tables }));
    await pool.query(DEMO_FINISHED);
    const loaded = (await pool.query<{ records: number; citizens: number }>(LOADED)).rows[0]!;
    logger.info({ records: loaded.records, addressesMatched: matched.matched, citizens: loaded.citizens, ms: Math.round(performance.now() - started) }, 'demo council loaded');
    return true;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
