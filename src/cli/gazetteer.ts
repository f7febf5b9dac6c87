/** `hub gazetteer import FILE...`: load an LLPG supply with a progress bar and a summary. */
import { SingleBar, Presets } from 'cli-progress';
import { Command } from 'commander';
import { AddressMatcher } from '../addresses/matcher.js';
import { rematchAfterGazetteerChange } from '../addresses/records.js';
import { GazetteerImportError, importGazetteer, type ImportSummary } from '../gazetteer/import.js';
import { action, withDatabase } from './context.js';
import { readableFile } from './files.js';

const TYPE_NAMES: Record<string, string> = {
  11: 'street', 15: 'street descriptor', 21: 'BLPU', 23: 'cross reference', 24: 'LPI',
  28: 'delivery point', 30: 'successor', 31: 'organisation', 32: 'classification',
};

function rejectLines(summary: Omit<ImportSummary, 'seconds'>): string[] {
  const lines = [`  rejects: ${summary.rejects.length}`];
  for (const r of summary.rejects.slice(0, 20)) lines.push(`    ${r.file} line ${r.line}: ${r.reason}`);
  if (summary.rejects.length > 20) lines.push(`    ... and ${summary.rejects.length - 20} more (see gazetteer_import ${summary.importId})`);
  return lines;
}

function printSummary(summary: Omit<ImportSummary, 'seconds'> & { seconds?: number }, out: NodeJS.WriteStream): void {
  const lines = [`${summary.fileType} import ${summary.importId} (${summary.formats.join(', ')})`];
  for (const [type, n] of Object.entries(summary.records)) lines.push(`  ${type} ${TYPE_NAMES[type] ?? ''}: ${n}`);
  for (const [type, n] of Object.entries(summary.skipped)) lines.push(`  skipped record type ${type}: ${n}`);
  lines.push(...rejectLines(summary));
  if (summary.fileType === 'COU') {
    const t = summary.touched;
    lines.push(`  UPRNs touched: ${t.inserted} inserted, ${t.updated} updated, ${t.retired} retired, ${t.deleted} deleted`);
  }
  lines.push(`  address index: ${summary.addresses} addresses`);
  if (summary.seconds !== undefined) lines.push(`  ${summary.seconds.toFixed(1)} s`);
  out.write(`${lines.join('\n')}\n`);
}

export function gazetteerCommand(): Command {
  const gazetteer = new Command('gazetteer').description('the council\'s Local Land and Property Gazetteer');
  gazetteer
    .command('import')
    .description('import AddressBase Premium CSV (mixed or split per record type) or DTF 7.3 files, FULL or change-only')
    .argument('<files...>', 'files of one supply; change-only files are applied in the order given')
    .option('--no-progress', 'no progress bar')
    .option('--allow-older', 'load files dated before the supply already loaded (going back on purpose)')
    .action(action(async (files: string[], opts: { progress: boolean; allowOlder?: boolean }) => {
      for (const file of files) await readableFile(file);
      await withDatabase(async (db, config, onInterrupt) => {
        const bar = opts.progress && process.stderr.isTTY
          ? new SingleBar({ format: ' {bar} {percentage}% | {records} records | {rate} records/s | {eta_formatted} left', stream: process.stderr }, Presets.shades_classic)
          : null;
        // Ctrl-C (or SIGTERM) stops the import, which records itself interrupted and drops what it staged, before
        // withDatabase closes the database and exits 130; a re-match after the import stops with the database.
        const stop = new AbortController();
        let importDone!: () => void;
        const imported = new Promise<void>((resolve) => (importDone = resolve));
        const offInterrupt = onInterrupt(async () => {
          stop.abort();
          await imported;
        });
        const started = performance.now();
        bar?.start(1, 0, { records: 0, rate: 0 });
        try {
          const summary = await importGazetteer(db.url, files, {
            allowOlder: opts.allowOlder === true,
            signal: stop.signal,
            onProgress: (p) => {
              const rate = Math.round(p.records / ((performance.now() - started) / 1000));
              bar?.setTotal(p.totalBytes);
              bar?.update(p.bytes, { records: p.records, rate });
            },
          });
          bar?.stop();
          printSummary(summary, process.stdout);
          if (stop.signal.aborted) {
            process.stderr.write('  interrupted once the supply was applied: records are re-matched after the next import\n');
            return;
          }
          offInterrupt();
          importDone();
          // After a FULL too: records matched to UPRNs it dropped or retired, and unmatched ones it may now match.
          const r = await rematchAfterGazetteerChange(db.pool, new AddressMatcher(db.pool, config.addressParser));
          process.stdout.write(`  re-matched ${r.records} source records: ${r.matched} matched, ${r.review} review, ${r.unmatched} unmatched\n`);
        } catch (error) {
          bar?.stop();
          if (!(error instanceof GazetteerImportError)) throw error;
          const s = error.summary;
          if (error.applied && s) {
            printSummary(s, process.stderr);
            throw error;
          }
          if (stop.signal.aborted) {
            // withDatabase exits once the database is closed; the code is set in case the command ends first.
            process.stderr.write(`import ${s ? `${s.importId} ` : ''}interrupted, nothing was applied (the gazetteer is unchanged)\n`);
            process.exitCode = 130;
            return;
          }
          // Counts read from a supply that was not applied would read as loaded: only what was wrong is listed.
          if (s) process.stderr.write(`${[`${s.fileType} import ${s.importId} (${s.formats.join(', ')}) failed`, ...rejectLines(s)].join('\n')}\n`);
          throw new Error(`import ${s ? `${s.importId} ` : ''}failed, nothing was applied (the gazetteer is unchanged): ${error.message}`, { cause: error });
        } finally {
          offInterrupt();
          importDone();
        }
      });
    }));
  return gazetteer;
}
