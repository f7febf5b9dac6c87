/**
 * CSV reader. Records are framed from lines here and each one is parsed by
 * csv-parse: left to itself csv-parse cannot resynchronise after an unclosed
 * quote (it swallows the rest of the file as one field), whereas framing
 * lets one bad record be reported by line and the next line start afresh.
 */
import { CsvError, parse } from 'csv-parse/sync';
import { decodeText, encodingProblem } from './decode.js';
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
  /** Counts give-backs, so a caller can tell whether one happened. */
  pushedBack = 0;
  private insertAt = 0;

  /** Give lines back to be read next. */
  unshift(lines: (Line | LongLine)[]): void {
    this.back.unshift(...lines);
    this.insertAt = lines.length;
    this.pushedBack += 1;
  }

  /** Give back more lines, to be read after those of the last unshift. */
  unshiftAfterPushBack(lines: (Line | LongLine)[]): void {
    this.back.splice(this.insertAt, 0, ...lines);
    this.insertAt += lines.length;
  }
}

function parseRows(text: string, options: CsvOptions): string[][] {
  return parse(text, {
    delimiter: options.delimiter ?? ',',
    quote: options.quote ?? '"',
    escape: options.quote ?? '"',
    record_delimiter: ['\n'],
    relax_column_count: true,
  }) as string[][];
}

/**
 * One record's fields when it is plainly well formed: every field either
 * without a quote, or quoted from its first character to a closing quote
 * followed by the delimiter or the end (doubled quotes inside). Such records
 * are most of any extract, and splitting them here costs a fraction of
 * csv-parse's per-character state machine; anything else (a stray quote, a
 * line break outside quotes, a carriage return) is null and left to
 * csv-parse, which reports the problems.
 */
export function splitPlainRecord(text: string, delimiter: string, quote: string): string[] | null {
  if (text === '' || text.includes('\r')) return null;
  const fields: string[] = [];
  const end = text.length;
  for (let i = 0; ;) {
    if (text[i] === quote) {
      let value = '';
      let from = i + 1;
      for (;;) {
        const close = text.indexOf(quote, from);
        if (close === -1) return null;
        if (text[close + 1] === quote) {
          value += text.slice(from, close + 1);
          from = close + 2;
          continue;
        }
        value += text.slice(from, close);
        i = close + 1;
        break;
      }
      fields.push(value);
      if (i === end) return fields;
      if (text[i] !== delimiter) return null;
      i += 1;
    } else {
      const next = text.indexOf(delimiter, i);
      const value = text.slice(i, next === -1 ? end : next);
      if (value.includes(quote) || value.includes('\n')) return null;
      fields.push(value);
      if (next === -1) return fields;
      i = next + 1;
    }
  }
}

/** What the misquotings csv-parse names mean, for whoever mends the file. */
const QUOTE_FAULTS: Readonly<Record<string, string>> = {
  CSV_INVALID_CLOSING_QUOTE: 'a quote inside a quoted field must be doubled',
  INVALID_OPENING_QUOTE: 'a field holding a quote must be quoted, and the quote doubled',
};

/** csv-parse's messages quote the field or the character at fault, which may be personal data: its code and the field's number only. */
const reasonOf = (e: unknown): string => {
  if (!(e instanceof CsvError)) return 'unparseable: csv-parse refused the record';
  const column = (e as CsvError & { column?: unknown }).column;
  const fault = QUOTE_FAULTS[e.code];
  return `${typeof column === 'number' ? `${e.code}: in field ${column + 1}` : e.code}${fault ? ` (${fault})` : ''}`;
};

/**
 * Why a record whose quotes never balance cannot be read: a stray quote on
 * its first line ("QUO"TE") fails there, whatever lines follow it, and is
 * named as such; otherwise a quote is left open.
 */
function unbalancedReason(first: string, options: CsvOptions, maxLines: number): string {
  try {
    parseRows(first, options);
  } catch (e) {
    if (e instanceof CsvError && e.code in QUOTE_FAULTS) return reasonOf(e);
  }
  return `unclosed-quote: no closing quote within ${maxLines} lines`;
}

/** Past this many characters without an answer, the line ends are taken to be what was seen. */
const LINE_END_LOOKAHEAD = 1 << 16;

/**
 * Whether the text's line ends are CRs alone (old Mac): its first line break
 * and the one after it are each a CR without an LF. A CR inside a field of a
 * CR LF or LF file is followed by an LF. Undefined: more text is needed.
 */
function crOnlyLineEnds(head: string, atEnd: boolean): boolean | undefined {
  const enough = atEnd || head.length > LINE_END_LOOKAHEAD;
  /** The kind of the first line break at or after `from`. */
  const breakAt = (from: number): { kind: 'cr' | 'other' | 'none' | 'more'; at: number } => {
    const at = head.slice(from).search(/[\r\n]/);
    if (at === -1) return { kind: enough ? 'none' : 'more', at: -1 };
    const i = from + at;
    if (head[i] === '\n') return { kind: 'other', at: i };
    if (i === head.length - 1 && !atEnd) return { kind: 'more', at: i };
    return { kind: head[i + 1] === '\n' ? 'other' : 'cr', at: i };
  };
  const first = breakAt(0);
  if (first.kind !== 'cr') return first.kind === 'more' ? undefined : false;
  const second = breakAt(first.at + 1);
  if (second.kind === 'more') return undefined;
  // One line ended by a CR reads as one line anyway.
  return second.kind === 'cr' || (second.kind === 'none' && first.at < head.length - 1);
}

/** Passes the text on, telling `found` once if its line ends are CRs alone. */
async function* noteCrOnly(chunks: AsyncIterable<string>, found: () => void): AsyncGenerator<string> {
  let head: string | null = '';
  const decide = (atEnd: boolean): void => {
    if (head === null) return;
    const crOnly = crOnlyLineEnds(head, atEnd);
    if (crOnly === undefined) return;
    if (crOnly) found();
    head = null;
  };
  for await (const chunk of chunks) {
    if (head !== null) {
      head += chunk;
      decide(false);
    }
    yield chunk;
  }
  decide(true);
}

/** One record's lines, quote-balanced unless `unclosed`. */
interface Framed {
  taken: (Line | LongLine)[];
  text: string;
  line: number;
  unclosed: boolean;
  tooLong: boolean;
}

/** Records are parsed in batches: one csv-parse call per record costs more than the parsing itself. */
const BATCH = 256;

export async function* readCsv(source: ByteSource, options: CsvOptions, context: ReadContext = {}): AsyncGenerator<ReadItem> {
  const encoding = options.encoding ?? 'utf-8';
  const quote = options.quote ?? '"';
  const delimiter = options.delimiter ?? ',';
  const maxLines = options.maxRecordLines ?? DEFAULT_MAX_RECORD_LINES;
  let crOnly = false;
  const lines = new LineQueue(splitLines(noteCrOnly(decodeText(source, encoding), () => (crOnly = true)), MAX_LINE_SIZE));
  let columns: string[] | null = options.columns ?? null;
  let index = 0;
  const at = (line: number): Position => ({ line, index, ...(context.path ? { path: context.path } : {}) });

  const frame = async (): Promise<Framed | null> => {
    for (let first = await lines.next(); first; first = await lines.next()) {
      if ('tooLong' in first) return { taken: [first], text: '', line: first.line, unclosed: false, tooLong: true };
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
      return { taken, text, line: first.line, unclosed: quotes % 2 === 1, tooLong: false };
    }
    return null;
  };

  /** The outcome for one record parsed on its own; a failed multi-line record gives its later lines back. */
  const single = (f: Framed): ReadItem | 'header' => {
    const position = at(f.line);
    // Without its header no record of the file can be read: the header's failure is the file's.
    // A record's first line is kept with it (its other lines are read again as records); not text that is mangled or too long.
    const first = f.taken[0];
    const refused = (reason: string, keep = true): ReadItem => (columns
      ? { error: { position, reason }, ...(keep && first && 'text' in first ? { raw: first.text } : {}) }
      : { error: { position, reason: `unreadable-header: ${reason}` } });
    if (f.tooLong) return refused(`line-too-long: more than ${MAX_LINE_SIZE} characters`, false);
    if (f.unclosed) {
      lines.unshift(f.taken.slice(1));
      return refused(first && 'text' in first ? unbalancedReason(first.text, options, maxLines) : `unclosed-quote: no closing quote within ${maxLines} lines`);
    }
    const problem = encodingProblem(f.text, encoding);
    if (problem !== null) return refused(problem, false);
    let rows: string[][];
    try {
      rows = parseRows(f.text, options);
    } catch (e) {
      lines.unshift(f.taken.slice(1));
      return refused(reasonOf(e));
    }
    if (rows.length !== 1 || !rows[0]) {
      lines.unshift(f.taken.slice(1));
      return refused(`expected one record, found ${rows.length}`);
    }
    return toItem(f, rows[0]);
  };

  /** The header's column names; a name given twice would leave one of its columns unread, so it refuses the file. */
  const header = (f: Framed, values: string[]): ReadItem | 'header' => {
    const names = values.map((v) => v.trim());
    // By number, not name: a file without its header row would have a record read as one.
    const twice = names.findIndex((name, i) => name !== '' && names.indexOf(name) !== i);
    if (twice !== -1) return { error: { position: at(f.line), reason: `bad-header: column ${twice + 1} has the name of an earlier column` } };
    columns = names;
    context.onHeader?.(names);
    return 'header';
  };

  const toItem = (f: Framed, values: string[]): ReadItem | 'header' => {
    const position = at(f.line);
    if (!columns) return header(f, values);
    if (values.length !== columns.length) return { error: { position, reason: `wrong-column-count: expected ${columns.length} fields, found ${values.length}` }, raw: f.text };
    const fields: Record<string, unknown> = {};
    columns.forEach((name, i) => {
      fields[name] = values[i];
    });
    return { position, fields, raw: f.text };
  };

  for (;;) {
    const batch: Framed[] = [];
    for (let f = await frame(); f; f = batch.length < BATCH ? await frame() : null) {
      batch.push(f);
      if (!columns || f.unclosed || f.tooLong) break;
    }
    if (batch.length === 0) return;
    // Known once the first line is framed, as that reads up to the first LF. Read by LF, the file is one line, its
    // header a list of every field (bad-header, at best): said instead.
    if (crOnly) {
      yield { error: { position: at(1), reason: 'cr-line-ends: the lines end in CR alone (old Mac line ends); save the file with CR LF or LF line ends' } };
      return;
    }
    // Plainly well-formed records are split here; the other readable ones of the batch are parsed by csv-parse
    // together, and should that fail or miscount, one by one, as are the unreadable ones.
    const readable = batch.map((f) => !f.unclosed && !f.tooLong && encodingProblem(f.text, encoding) === null);
    const rows = batch.map((f, i) => (readable[i] ? splitPlainRecord(f.text, delimiter, quote) ?? undefined : undefined));
    const rest = batch.flatMap((_, i) => (readable[i] && !rows[i] ? [i] : []));
    if (rest.length > 0) {
      let parsed: string[][] | null;
      try {
        parsed = parseRows(rest.map((i) => batch[i]!.text).join('\n'), options);
      } catch {
        parsed = null;
      }
      if (parsed?.length === rest.length) rest.forEach((i, k) => (rows[i] = parsed[k]));
    }
    for (const [i, f] of batch.entries()) {
      const values = rows[i];
      const taken = lines.pushedBack;
      const reading = columns !== null;
      const item = values ? toItem(f, values) : single(f);
      if (item === 'header') continue;
      yield item;
      // A header that could not be read (or names a column twice): nothing after it can be read, and no record may be taken for it.
      if (!reading) return;
      index += 1;
      // A bad multi-line record gave lines back: the rest of the batch was framed wrongly, so frame it again.
      if (lines.pushedBack !== taken) {
        lines.unshiftAfterPushBack(batch.slice(i + 1).flatMap((b) => b.taken));
        break;
      }
    }
  }
}
