/**
 * `hub match-addresses --in IN.csv --out OUT.csv`: a batch of addresses
 * (header id,address,postcode) matched against the loaded gazetteer, one
 * output row per input row in the same order (id,uprn,status,score).
 *
 * The input is read by the hub's CSV reader (adapters/readers/csv.ts): a
 * line it cannot read is named by the line its record starts on and the rule
 * it breaks, never by its text (addresses can be personal data), and left
 * out; the lines after it are read afresh. Such a run still writes every
 * other row, and ends with exit code 1 so that a script notices. An input
 * that is empty or has no header is refused, with exit code 1 and no output.
 */
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SingleBar, Presets } from 'cli-progress';
import { Command } from 'commander';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify';
import { isReadError, readCsv } from '../../adapters/readers/index.js';
import { AddressMatcher } from '../addresses/matcher.js';
import { action, withDatabase } from './context.js';
import { discardOutput, fileError, openOutput, readableFile } from './files.js';

/** csv-parse's codes, which the reader gives with the field's number only, as the rule they name. */
const CSV_RULES: Record<string, string> = {
  CSV_INVALID_CLOSING_QUOTE: 'text after the closing quote of a quoted field',
  CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE: 'text after the closing quote of a quoted field',
  CSV_QUOTE_NOT_CLOSED: 'a quoted field is not closed',
  INVALID_OPENING_QUOTE: 'a quote inside a field that is not quoted',
};

/** The rule in words, with the field's number; the reader's own explanation after it is left for these words. */
function ruleOf(reason: string): string {
  const [code = '', ...rest] = reason.split(': ');
  const words = CSV_RULES[code];
  const detail = rest.join(': ').replace(/ \(.*\)$/, '');
  return words ? `${words}${detail ? ` (${detail})` : ''}` : reason;
}

interface Columns {
  names: readonly string[];
  id: number;
  address: number;
  postcode: number;
}

function columnsOf(names: readonly string[]): Columns {
  const lower = names.map((h) => h.trim().toLowerCase());
  const columns = { names, id: lower.indexOf('id'), address: lower.indexOf('address'), postcode: lower.indexOf('postcode') };
  if (columns.id < 0 || columns.address < 0) throw new Error(`--in: the header must be id,address,postcode (found ${names.join(',')})`);
  return columns;
}

/**
 * A record's values in header order. A record with fewer fields than the
 * header (a trailing empty postcode left off) is taken with the rest empty,
 * as it always was; null for one with more, which is most likely an address
 * with a comma and no quotes, whose postcode would be a piece of the address.
 */
function shortRecord(raw: string, columns: Columns): string[] | null {
  const [values] = parse(raw, { relax_column_count: true }) as string[][];
  if (!values || values.length > columns.names.length) return null;
  return columns.names.map((_, i) => values[i] ?? '');
}

export function matchAddressesCommand(): Command {
  return new Command('match-addresses')
    .description('match a CSV of addresses (id,address,postcode) to UPRNs; writes id,uprn,status,score in the same order')
    .requiredOption('--in <file>', 'input CSV with header id,address,postcode (postcode may be empty)')
    .requiredOption('--out <file>', 'output CSV')
    .option('--no-progress', 'no progress bar')
    .action(action(async (opts: { in: string; out: string; progress: boolean }) => {
      const size = await readableFile(opts.in);
      // Most likely a failed transfer; an exit code of 0 and an output of a header alone would hide it from a script.
      if (size === 0) throw new Error(`${opts.in} is empty (0 bytes): there are no addresses to match`);
      const out = await openOutput(opts.out);
      let unreadable = 0;
      try {
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
          const output = stringify({ header: true, columns: ['id', 'uprn', 'status', 'score'] });
          const written = pipeline(output, out).catch((error: unknown) => {
            throw fileError(opts.out, 'write', error);
          });
          // Awaited once the input is read; a write error that ends it early must not go unhandled meanwhile.
          written.catch(() => undefined);
          const input = createReadStream(opts.in).on('error', (error) => counter.destroy(fileError(opts.in, 'read', error)));
          const header: { columns: Columns | null } = { columns: null };
          const items = readCsv(input.pipe(counter), { kind: 'csv' }, { path: opts.in, onHeader: (names) => (header.columns = columnsOf(names)) });
          for await (const item of items) {
            const at = header.columns;
            let values: string[] | null;
            if (isReadError(item)) {
              const where = `${opts.in} line ${item.error.position.line ?? item.error.position.index + 1}`;
              const reason = item.error.reason;
              if (at === null) throw new Error(`${where}: the header cannot be read: ${ruleOf(reason.replace(/^unreadable-header: /, ''))}`);
              values = reason.startsWith('wrong-column-count') && item.raw !== undefined ? shortRecord(item.raw, at) : null;
              if (values === null) {
                unreadable++;
                process.stderr.write(`${where}: ${ruleOf(reason)}; left out\n`);
                continue;
              }
            } else {
              if (at === null) throw new Error('--in: a record before the header');
              const fields = item.fields;
              values = at.names.map((name) => String(fields[name] ?? ''));
            }
            const id = values[at.id]?.trim() ?? '';
            const address = values[at.address]?.trim() ?? '';
            const postcode = at.postcode >= 0 ? values[at.postcode]?.trim() ?? '' : '';
            rows++;
            let row: (string | number)[];
            if (address === '') {
              counts.unmatched++;
              row = [id, '', 'unmatched', 0];
            } else {
              const result = await matcher.match({ text: address, postcode: postcode || null });
              counts[result.status]++;
              row = [id, result.uprn ?? '', result.status, result.score.toFixed(3)];
            }
            if (rows % 1000 === 0) bar?.update(bytes, { rows, rate: Math.round(rows / ((performance.now() - started) / 1000)) });
            if (!output.write(row)) await Promise.race([once(output, 'drain'), written]);
          }
          if (header.columns === null) throw new Error(`${opts.in} has no header line (id,address,postcode): there are no addresses to match`);
          output.end();
          await written;
          bar?.update(size, { rows });
          bar?.stop();
          const seconds = (performance.now() - started) / 1000;
          if (rows === 0 && unreadable === 0) process.stderr.write('the file holds no addresses: was it transferred whole?\n');
          if (unreadable > 0) process.stderr.write(`${unreadable} input line(s) could not be read and have no output row\n`);
          process.stderr.write(`${rows} addresses in ${seconds.toFixed(1)} s (${Math.round(rows / seconds)}/s): ${counts.matched} matched, ${counts.review} review, ${counts.unmatched} unmatched\n`);
        });
      } catch (error) {
        await discardOutput(out, opts.out);
        throw error;
      }
      if (unreadable > 0) process.exitCode = 1;
    }));
}
