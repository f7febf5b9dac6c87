/** `hub ingest SYSTEM FILE` and `hub rejects SYSTEM`. */
import { SingleBar, Presets } from 'cli-progress';
import { Command, InvalidArgumentError } from 'commander';
import { DEFAULT_MAPPING_FILES, MappingError, loadMapping, parseDateTime, type Mapping } from '../../adapters/mapping/index.js';
import { categoryOfSystem } from '../../schemas/categories.js';
import { SOURCE_SYSTEM_PATTERN } from '../../schemas/source-record.js';
import { AddressMatcher } from '../addresses/matcher.js';
import { matchCountsOfIntake } from '../addresses/sql.js';
import { loadConfig } from '../config.js';
import { emptyFile, ingestFile, mappingFileFor } from '../intake/ingest-file.js';
import { councilSystemsInForce, mappingFilesOf } from '../intake/systems.js';
import { createLogger } from '../logging.js';
import { linkageForWorker } from '../linkage/context.js';
import { pipelineJobs, runPipelineHere, startPipeline } from '../pipeline/jobs.js';
import { startQueue } from '../pipeline/queue.js';
import { intakeById, knownSystem, rejectsOf, type RejectRow } from '../intake/queries.js';
import { action, wholeNumber, withDatabase } from './context.js';
import { readableFile } from './files.js';

function timeOption(value: string): string {
  const parsed = parseDateTime(value, ['ISO']);
  if (!parsed.ok) throw new InvalidArgumentError('an ISO 8601 date-time, e.g. 2026-06-01T02:00:00Z (without an offset: UTC)');
  return parsed.value;
}

function percentOption(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || n > 100) throw new InvalidArgumentError('a percentage from 0 to 100');
  return n;
}

/**
 * The mapping, checked before the database is opened. A command's error is
 * one line, which for a mapping with problems said only "invalid mapping
 * FILE:"; each problem (file, path in the mapping, rule) gets a line here.
 */
async function checkMapping(file: string): Promise<Mapping> {
  try {
    return await loadMapping(file);
  } catch (error) {
    if (!(error instanceof MappingError)) throw error;
    process.stderr.write(error.issues.map((i) => `${file}: ${i.path || '/'}: ${i.rule}: ${i.message}\n`).join(''));
    throw new Error(`invalid mapping ${file}: ${error.issues.length} problem(s), listed above`, { cause: error });
  }
}

export function ingestCommand(): Command {
  return new Command('ingest')
    .description('read a source system\'s extract, map it to canonical records and take them in')
    .argument('<system>', `source system, e.g. ${Object.keys(DEFAULT_MAPPING_FILES).join(', ')}`)
    .argument('<file>', 'the extract')
    .option('--mapping <file>', 'mapping file (default: the one MAPPING_FILES names for the system, else the shipped one)')
    .option('--wait', 'run the pipeline (address matching, linking) for the records here and wait for it, instead of queueing it for the hub')
    .option('--full', 'the file is a full extract, holding every open record of the system: records it lacks are closed')
    .option('--close-max <percent>', 'with --full, the largest share of the system\'s open records one extract may close; more closes nothing', percentOption, 10)
    .option('--extracted-at <time>', 'when the source made the file (ISO 8601; default: now): records without an update time of their own are ordered by it '
      + '(a record from an older file than its current version\'s is kept as history only); with --full, records received since are not closed, '
      + 'and a file made before a full extract of the system already taken closes nothing', timeOption)
    .option('--no-progress', 'no progress bar')
    .action(action(async (system: string, file: string, opts: { mapping?: string; progress: boolean; wait?: boolean; full?: boolean; closeMax: number; extractedAt?: string }) => {
      // The API's rule for a system's name, so that a file cannot take records in under a name no push could use.
      if (!new RegExp(SOURCE_SYSTEM_PATTERN).test(system)) {
        throw new Error(`"${system}" is not a source system name: lower-case letters, digits and hyphens, 2 to 40 characters, starting with a letter`);
      }
      const size = await readableFile(file);
      if (size === 0) throw emptyFile(file);
      if (opts.mapping !== undefined) await readableFile(opts.mapping);
      // In force here too: the category this file may give the system is the one the hub would decide on (categoryOfSystem).
      const council = await councilSystemsInForce(loadConfig().mappingFiles);
      const mappingFile = mappingFileFor(system, opts.mapping, council.files);
      const mapping = await checkMapping(mappingFile);
      // Records take the mapping's system; storing them under another name would split one system in two.
      if (mapping.system !== system) throw new Error(`the mapping ${mappingFile} is for system "${mapping.system}", not "${system}": give hub ingest ${mapping.system}, or a mapping for ${system}`);
      // The hub decides on the category its own configuration gives the system, not on this file's: a clinic's records
      // taken in by a mapping saying health-disability would be shown as service involvement by a hub that was not told.
      const held = categoryOfSystem(system);
      if (mapping.category !== undefined && mapping.category !== held) {
        throw new Error(`the mapping ${mappingFile} gives ${system} the category ${mapping.category}, but the hub holds ${system} as ${held}: `
          + `name the mapping in MAPPING_FILES (see docs/mapping-files.md)`);
      }
      await withDatabase(async (db, config) => {
        const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
        const deps = { pool: db.pool, logger, matcher: new AddressMatcher(db.pool, config.addressParser), linkage: linkageForWorker(db.pool, config.nicknamesFile) };
        const queue = opts.wait ? null : await startQueue(db.url, { jobs: pipelineJobs(deps), workers: false, log: (m) => logger.warn(m) });
        const accepted: number[] = [];
        const bar = opts.progress && process.stderr.isTTY
          ? new SingleBar({ format: ' {bar} {percentage}% | {read} read | {rate} records/s', stream: process.stderr }, Presets.shades_classic)
          : null;
        const started = performance.now();
        bar?.start(size, 0, { read: 0, rate: 0 });
        const { intakeId, counts, closing } = await ingestFile(db.pool, system, file, {
          mapping: mappingFile,
          ...(opts.full ? { full: { maxShare: opts.closeMax / 100 } } : {}),
          ...(opts.extractedAt !== undefined ? { extractedAt: opts.extractedAt } : {}),
          onAccepted: async (ids, db) => {
            if (queue) await startPipeline(queue.boss, ids, db);
            else accepted.push(...ids);
          },
          onProgress: (bytes, c) => bar?.update(bytes, { read: c.read, rate: Math.round(c.read / ((performance.now() - started) / 1000)) }),
        });
        bar?.update(size);
        bar?.stop();
        process.stdout.write(
          `intake ${intakeId}: ${counts.read} read, ${counts.accepted} accepted (${counts.superseded} superseding an earlier version, ` +
          `${counts.stale} older than the current version and kept as history only), ` +
          `${counts.unchanged} unchanged, ${counts.rejected} rejected\n`,
        );
        if (counts.read === 0) process.stderr.write('the file holds no records: was it transferred whole?\n');
        if (closing) {
          process.stdout.write(closing.refused === null
            ? `full extract: ${closing.closed} record(s) of ${system} it lacks closed\n`
            : `full extract: records it lacks not closed: ${closing.refused}\n`);
        }
        if (counts.rejected > 0) process.stdout.write(`see the rejects with: hub rejects ${system} --intake ${intakeId}\n`);
        if (queue) {
          await queue.stop(5000);
          process.stdout.write('the records are queued for address matching and linking by the running hub (or `hub worker`)\n');
        } else {
          await runPipelineHere(deps, accepted);
          const m = (await db.pool.query<{ status: string; n: number }>(matchCountsOfIntake, [intakeId])).rows;
          process.stdout.write(`addresses: ${m.map((r) => `${r.n} ${r.status}`).join(', ') || 'none'}\n`);
        }
      });
    }));
}

/** A reject as `hub rejects` prints it: intake, where (position, and the record's reference when known), field, rule and reason, tab-separated. */
export function rejectLine(r: RejectRow): string {
  const where = [...Object.entries(r.position), ...(r.sourceRef !== null ? [['ref', r.sourceRef]] : [])].map(([k, v]) => `${k} ${v}`).join(', ');
  return `${r.intakeId}\t${where}\t${r.field ?? '-'}\t${r.rule ?? '-'}\t${r.reason}`;
}

export function rejectsCommand(): Command {
  return new Command('rejects')
    .description('records of a source system that could not be read or mapped, with position and reason')
    .argument('<system>', 'source system')
    .option('--intake <id>', 'only this intake', wholeNumber(1))
    .option('--limit <n>', 'at most this many', wholeNumber(1), 100)
    .action(action(async (system: string, opts: { intake?: number; limit: number }) => {
      await withDatabase(async (db, config) => {
        // A misspelt system would otherwise look like one without rejects.
        const mapped = Object.keys(await mappingFilesOf(config.mappingFiles));
        if (!(await knownSystem(db.pool, system, mapped))) {
          throw new Error(`unknown source system "${system}": not one the hub has a mapping for (${mapped.join(', ')}), and nothing has been taken in for it`);
        }
        if (opts.intake !== undefined && (await intakeById(db.pool, opts.intake))?.system !== system) throw new Error(`no intake ${opts.intake} of ${system}`);
        const rejects = await rejectsOf(db.pool, system, { intakeId: opts.intake ?? null, limit: opts.limit });
        for (const r of rejects) process.stdout.write(`${rejectLine(r)}\n`);
        if (rejects.length === 0) process.stderr.write(`no rejects of ${system}${opts.intake !== undefined ? ` in intake ${opts.intake}` : ''}\n`);
      });
    }));
}
