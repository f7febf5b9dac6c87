/**
 * `hub match-addresses --in IN.csv --out OUT.csv`: a batch of addresses
 * (header id,address,postcode) matched against the loaded gazetteer, one
 * output row per input row in the same order (id,uprn,status,score).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SingleBar, Presets } from 'cli-progress';
import { Command } from 'commander';
import { parse } from 'csv-parse';
import { stringify } from 'csv-stringify';
import { AddressMatcher } from '../addresses/matcher.js';
import { action, withDatabase } from './context.js';

interface InputRow {
  id?: string;
  address?: string;
  postcode?: string;
}

function checkHeader(header: string[]): string[] {
  const names = header.map((h) => h.trim().toLowerCase());
  if (!names.includes('id') || !names.includes('address')) throw new Error(`--in: the header must be id,address,postcode (found ${header.join(',')})`);
  return names;
}

export function matchAddressesCommand(): Command {
  return new Command('match-addresses')
    .description('match a CSV of addresses (id,address,postcode) to UPRNs; writes id,uprn,status,score in the same order')
    .requiredOption('--in <file>', 'input CSV with header id,address,postcode (postcode may be empty)')
    .requiredOption('--out <file>', 'output CSV')
    .option('--no-progress', 'no progress bar')
    .action(action(async (opts: { in: string; out: string; progress: boolean }) => {
      const size = (await stat(opts.in)).size;
      await withDatabase(async (db, config) => {
        const matcher = new AddressMatcher(db.pool, config.addressParser);
        await matcher.current();
        await matcher.holdDecisions();
        const bar = opts.progress && process.stderr.isTTY
          ? new SingleBar({ format: ' {bar} {percentage}% | {rows} addresses | {rate} addresses/s', stream: process.stderr }, Presets.shades_classic)
          : null;
        bar?.start(size, 0, { rows: 0, rate: 0 });
        let bytes = 0;
        let rows = 0;
        const counts = { matched: 0, review: 0, unmatched: 0 };
        const started = performance.now();
        const counter = new Transform({
          transform(chunk: Buffer, _enc, done) {
            bytes += chunk.length;
            done(null, chunk);
          },
        });
        const match = new Transform({
          objectMode: true,
          async transform(row: InputRow, _enc, done) {
            try {
              rows++;
              if (!row.address?.trim()) {
                counts.unmatched++;
                return done(null, [row.id ?? '', '', 'unmatched', 0]);
              }
              const result = await matcher.match({ text: row.address, postcode: row.postcode?.trim() || null });
              counts[result.status]++;
              if (rows % 1000 === 0) bar?.update(bytes, { rows, rate: Math.round(rows / ((performance.now() - started) / 1000)) });
              done(null, [row.id ?? '', result.uprn ?? '', result.status, result.score.toFixed(3)]);
            } catch (error) {
              done(error as Error);
            }
          },
        });
        await pipeline(
          createReadStream(opts.in),
          counter,
          parse({ columns: checkHeader, bom: true, skip_empty_lines: true, relax_column_count: true, trim: true }),
          match,
          stringify({ header: true, columns: ['id', 'uprn', 'status', 'score'] }),
          createWriteStream(opts.out),
        );
        bar?.update(size, { rows });
        bar?.stop();
        const seconds = (performance.now() - started) / 1000;
        process.stderr.write(`${rows} addresses in ${seconds.toFixed(1)} s (${Math.round(rows / seconds)}/s): ${counts.matched} matched, ${counts.review} review, ${counts.unmatched} unmatched\n`);
      });
    }));
}
