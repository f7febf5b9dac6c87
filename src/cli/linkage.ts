/**
 * `hub linkage train`, `hub linkage run` and `hub export matches --out FILE`:
 * the person model, linking source records into citizen accounts, and the
 * one-row-per-source-record export benchmarks and evaluations read.
 */
import { Presets, SingleBar } from 'cli-progress';
import { Command } from 'commander';
import { loadPrepareTables, openLinkage } from '../linkage/context.js';
import { exportMatches } from '../linkage/export.js';
import { linkAll, type LinkCounts } from '../linkage/batch.js';
import { DEFAULT_SEED, trainFromDatabase } from '../linkage/train.js';
import { action, withDatabase } from './context.js';
import { discardOutput, fileError, openOutput } from './files.js';

function progressBar(enabled: boolean) {
  if (!enabled || !process.stderr.isTTY) return null;
  return new SingleBar({ format: ' {bar} {percentage}% | {value}/{total} records | {rate} records/s', stream: process.stderr }, Presets.shades_classic);
}

const summary = (c: LinkCounts, seconds: number): string =>
  `${c.records} records in ${seconds.toFixed(1)} s (${Math.round(c.records / Math.max(seconds, 1e-9))}/s): ${c.created} new accounts, ${c.joined} joined, ` +
  `${c.moved} moved, ${c.kept} kept, ${c.steward} by steward decision, ${c.merges} merges, ${c.reviews} to review\n`;

export function linkageCommand(): Command {
  const linkage = new Command('linkage').description('person linkage: train the model and link source records into citizen accounts');

  linkage
    .command('train')
    .description('train the person model on the current source records (unsupervised, seeded) and make it the active version')
    .option('--seed <n>', 'seed of the random pairs', (v) => Number(v), DEFAULT_SEED)
    .action(action(async (opts: { seed: number }) => {
      if (!Number.isInteger(opts.seed)) throw new Error('--seed must be a whole number');
      await withDatabase(async (db, config) => {
        const started = performance.now();
        const { version, model } = await trainFromDatabase(db.pool, await loadPrepareTables(config.nicknamesFile), { seed: opts.seed });
        const t = model.training;
        process.stdout.write(
          `person model version ${version}: ${t.records} records, ${t.candidatePairs} candidate pairs, EM ${t.emIterations} iterations ` +
          `(converged ${t.emConverged}), link at weight ${model.thresholds.link.toFixed(2)}, review at ${model.thresholds.review.toFixed(2)}, ` +
          `${((performance.now() - started) / 1000).toFixed(1)} s\n`,
        );
      });
    }));

  linkage
    .command('run')
    .description('link every current source record not yet linked or changed since (with --all, re-evaluate every record)')
    .option('--all', 're-evaluate every current record, e.g. after re-training (steward decisions still win)')
    .option('--no-progress', 'no progress bar')
    .action(action(async (opts: { all?: boolean; progress: boolean }) => {
      await withDatabase(async (db, config) => {
        const ctx = await openLinkage(db.pool, { nicknamesFile: config.nicknamesFile });
        const bar = progressBar(opts.progress);
        const started = performance.now();
        let begun = false;
        const counts = await linkAll(ctx, {
          relink: opts.all ?? false,
          onProgress: (c, total) => {
            if (!begun) bar?.start(total, 0, { rate: 0 });
            begun = true;
            bar?.update(c.records, { rate: Math.round(c.records / ((performance.now() - started) / 1000)) });
          },
        });
        bar?.stop();
        process.stderr.write(summary(counts, (performance.now() - started) / 1000));
      });
    }));

  return linkage;
}

export function exportCommand(): Command {
  const exportCmd = new Command('export').description('export hub data for evaluation and other systems');
  exportCmd
    .command('matches')
    .description('one CSV row per current source record: system, source_ref, citizen_ref, uprn, address_status, address_score')
    .requiredOption('--out <file>', 'output CSV')
    .action(action(async (opts: { out: string }) => {
      // Opened first: a path that cannot be written fails here, before any work and before any count is printed.
      const out = await openOutput(opts.out);
      let rows: number;
      try {
        rows = await withDatabase(async (db) => {
          try {
            return await exportMatches(db.pool, out);
          } catch (error) {
            // A failing write (a full disk) reaches here as the pipeline's error: named as the file's.
            throw (error as NodeJS.ErrnoException).syscall === 'write' ? fileError(opts.out, 'write', error) : error;
          }
        });
      } catch (error) {
        await discardOutput(out, opts.out);
        throw error;
      }
      process.stderr.write(`${rows} source records written to ${opts.out}\n`);
    }));
  return exportCmd;
}
