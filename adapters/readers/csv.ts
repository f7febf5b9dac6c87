/**
 * CSV reader. Records are framed from lines here and each one is parsed by
 * csv-parse: left to itself csv-parse cannot resynchronise after an unclosed
 * quote (it swallows the rest of the file as one field), whereas framing
 * lets one bad record be reported by line and the next line start afresh.
 */
import { CsvError, parse } from 'csv-parse/sync';
import { decodeText, hasInvalidText, INVALID_ENCODING } from './decode.js';
import { splitLines, type Line, type LongLine } from './lines.js';
import type { CsvOptions } from './options.js';
import type { ByteSource, ReadContext, ReadItem, Position } from './types.js';

const DEFAULT_MAX_RECORD_LINES = 50;
const MAX_LINE_SIZE = 1_000_000;

const countOf = (text: string, ch: string): number => {
  let n = 0;
  for (let i = text.indexOf(ch); i !== -1; i = text.indexOf(ch, i + 1)) n += 1;
  return n;
};

/** Lines with push-back, so the lines after a bad multi-line record can be read again. */
class LineQueue {
  private readonly back: (Line | LongLine)[] = [];
  constructor(private readonly source: AsyncGenerator<Line | LongLine>) {}
  async next(): Promise<Line | LongLine | undefined> {
    const queued = this.back.shift();
    if (queued) return queued;
    const r = await this.source.next();
    return r.done ? undefined : r.value;
  }
  unshift(lines: (Line | LongLine)[]): void {
    this.back.unshift(...lines);
  }
}

function parseFields(text: string, options: CsvOptions): string[] {
  const rows = parse(text, {
    delimiter: options.delimiter ?? ',',
    quote: options.quote ?? '"',
    escape: options.quote ?? '"',
    relax_column_count: true,
  }) as string[][];
  if (rows.length !== 1 || !rows[0]) throw new Error(`expected one record, found ${rows.length}`);
  return rows[0];
}

const reasonOf = (e: unknown): string => {
  if (e instanceof CsvError) return `${e.code}: ${e.message.replace(/ at line \d+/, '').replace(/ on line \d+/, '')}`;
  return e instanceof Error ? e.message : String(e);
};

export async function* readCsv(source: ByteSource, options: CsvOptions, context: ReadContext = {}): AsyncGenerator<ReadItem> {
  const encoding = options.encoding ?? 'utf-8';
  const quote = options.quote ?? '"';
  const maxLines = options.maxRecordLines ?? DEFAULT_MAX_RECORD_LINES;
  const lines = new LineQueue(splitLines(decodeText(source, encoding), MAX_LINE_SIZE));
  let columns: string[] | null = options.columns ?? null;
  let index = 0;
  const at = (line: number): Position => ({ line, index, ...(context.path ? { path: context.path } : {}) });

  for (let first = await lines.next(); first; first = await lines.next()) {
    if ('tooLong' in first) {
      yield { error: { position: at(first.line), reason: `line-too-long: more than ${MAX_LINE_SIZE} characters` } };
      index += 1;
      continue;
    }
    if (first.text.trim() === '') continue;
    const taken: (Line | LongLine)[] = [first];
    let text = first.text;
    let quotes = countOf(first.text, quote);
    while (quotes % 2 === 1 && taken.length < maxLines) {
      const more = await lines.next();
      if (!more) break;
      taken.push(more);
      if ('tooLong' in more) break;
      text += `\n${more.text}`;
      quotes += countOf(more.text, quote);
    }
    const retry = (): void => lines.unshift(taken.slice(1));
    const position = at(first.line);

    if (quotes % 2 === 1) {
      retry();
      yield { error: { position, reason: `unclosed-quote: no closing quote within ${maxLines} lines` } };
      index += 1;
      continue;
    }
    if (hasInvalidText(text)) {
      yield { error: { position, reason: INVALID_ENCODING(encoding) } };
      index += 1;
      continue;
    }
    let values: string[];
    try {
      values = parseFields(text, options);
    } catch (e) {
      retry();
      yield { error: { position, reason: reasonOf(e) } };
      index += 1;
      continue;
    }
    if (!columns) {
      columns = values.map((v) => v.trim());
      continue;
    }
    if (values.length !== columns.length) {
      yield { error: { position, reason: `wrong-column-count: expected ${columns.length} fields, found ${values.length}` } };
      index += 1;
      continue;
    }
    const fields: Record<string, unknown> = {};
    columns.forEach((name, i) => {
      fields[name] = values[i];
    });
    yield { position, fields, raw: text };
    index += 1;
  }
}
