/**
 * Streaming reader for gazetteer files: AddressBase Premium (mixed or split
 * one type per file with a header row) and DTF 7.3, FULL or COU. Yields one
 * event per line, in file order, never holding more than a chunk in memory.
 * A bad line becomes a reject event with its line number and the reason and
 * reading goes on; a cut-off file shows as a reject for the partial line
 * and an end event without a trailer. Bytes that are not UTF-8 make their
 * line a reject naming the field (adapters/gazetteer/utf8.ts).
 */
import { createReadStream } from 'node:fs';
import type { GazetteerRecord } from '../../schemas/bs7666.js';
import { ABP_SKIPPED_TYPES, ABP_TABLES } from './abp-columns.js';
import { CsvRecordSplitter, type CsvSink } from './csv-records.js';
import {
  DETECT_LOOKAHEAD,
  HEADER_FIELDS,
  detectFormat,
  formatEvidence,
  isSplitHeaderRow,
  type Detection,
  type FileTypeSource,
  type GazetteerFileType,
  type GazetteerFormat,
  type GazetteerHeader,
} from './detect.js';
import { DTF_SKIPPED_TYPES, DTF_TABLES, dtfOrganisation } from './dtf-columns.js';
import { convertRow, fieldCount, FRAMING_FIELDS, type AnyRecordTable } from './record-table.js';
import { NOT_UTF8, Utf8Decoder } from './utf8.js';

/** Always the first event. `line` is the header record's (or split header row's) line, null when the file has none. */
export interface HeaderEvent {
  kind: 'header';
  format: GazetteerFormat;
  fileType: GazetteerFileType;
  fileTypeFrom: FileTypeSource;
  line: number | null;
  header: GazetteerHeader | null;
  evidence: string;
}

/** `derived` marks a record implied by another line (DTF 21 ORGANISATION → type 31), not read from its own line. */
export interface RecordEvent {
  kind: 'record';
  record: GazetteerRecord;
  line: number;
  derived: boolean;
}

/** A well-formed line of a type the hub does not hold. */
export interface SkippedEvent {
  kind: 'skipped';
  recordType: string;
  line: number;
  reason: string;
  /** A rejected record (LOGICAL_STATUS 9) as a delete of its key, for change-only files. */
  withdrawn?: GazetteerRecord;
}

/** A malformed line. `reason` names record type, field and rule, never a value. */
export interface RejectEvent {
  kind: 'reject';
  recordType: string | null;
  line: number;
  reason: string;
}

export interface TrailerEvent {
  kind: 'trailer';
  /** RECORD_COUNT: records in the file, header and trailer excluded. */
  recordCount: number;
  nextVolumeNumber: number | null;
  line: number;
}

/** Always the last event. */
export interface EndEvent {
  kind: 'end';
  lines: number;
  trailerSeen: boolean;
  /** False when the last line had no line break, as in a cut-off file. */
  finalNewline: boolean;
}

export type GazetteerEvent = HeaderEvent | RecordEvent | SkippedEvent | RejectEvent | TrailerEvent | EndEvent;

export interface ReadOptions {
  /** Used for FULL/COU when the header does not say, and in detection evidence. */
  fileName: string;
}

const TRAILER_FIELDS = 5;
const INVALID_UTF8 = 'invalid-utf8 (bytes that are not UTF-8, which AddressBase and DTF files are)';
const FRAMING_NAMES = ['RECORD_IDENTIFIER', 'CHANGE_TYPE', 'PRO_ORDER'];
const RECORD_TYPE = /^\d{1,3}$/;

interface FormatRules {
  tables: ReadonlyMap<string, AnyRecordTable>;
  skipped: ReadonlySet<string>;
}

const RULES: Record<'abp' | 'dtf', FormatRules> = {
  abp: { tables: new Map(ABP_TABLES.map((t) => [String(t.type), t])), skipped: ABP_SKIPPED_TYPES },
  dtf: { tables: new Map(DTF_TABLES.map((t) => [String(t.type), t])), skipped: DTF_SKIPPED_TYPES },
};

type Pending = { fields: string[]; line: number } | { problem: string; line: number };

/** Turns split rows into events; one per file. */
class EventBuilder {
  private pending: Pending[] | null = [];
  private detection: Detection | null = null;
  private rules: FormatRules = RULES.abp;
  /** Split files: column names, and per record type the column order or why it cannot be read. */
  private columnNames: string[] | null = null;
  private typeIndex = 0;
  private readonly orders = new Map<string, number[] | null | string>();
  trailerSeen = false;
  /** Set once the input had bytes that are not UTF-8: from then on rows are looked at for them (a clean file never is). */
  checkEncoding = false;

  constructor(private readonly fileName: string) {}

  row(fields: string[], line: number, out: GazetteerEvent[]): void {
    if (this.pending) {
      this.pending.push({ fields, line });
      if (this.pending.length >= DETECT_LOOKAHEAD || isSplitHeaderRow(fields) || formatEvidence(fields)) this.decide(out);
      return;
    }
    this.convert(fields, line, out);
  }

  problem(reason: string, line: number, out: GazetteerEvent[]): void {
    if (this.pending) this.pending.push({ problem: reason, line });
    else out.push({ kind: 'reject', recordType: null, line, reason });
  }

  finish(out: GazetteerEvent[]): void {
    if (this.pending) this.decide(out);
  }

  private decide(out: GazetteerEvent[]): void {
    const pending = this.pending ?? [];
    this.pending = null;
    const rows = pending.flatMap((p) => ('fields' in p ? [p.fields] : []));
    const d = detectFormat(rows, this.fileName);
    this.detection = d;
    this.rules = d.format === 'dtf' ? RULES.dtf : RULES.abp;
    const first = pending.find((p) => 'fields' in p);
    const headerLine = first && (d.header || d.format === 'abp-split') ? first.line : null;
    out.push({ kind: 'header', format: d.format, fileType: d.fileType, fileTypeFrom: d.fileTypeFrom, line: headerLine, header: d.header, evidence: d.evidence });
    for (const p of pending) {
      if (!('fields' in p)) out.push({ kind: 'reject', recordType: null, line: p.line, reason: p.problem });
      else if (p === first && headerLine !== null) this.headerRow(p.fields, p.line, out);
      else this.convert(p.fields, p.line, out);
    }
  }

  private headerRow(fields: string[], line: number, out: GazetteerEvent[]): void {
    if (this.detection?.format === 'abp-split') {
      this.columnNames = fields.map((f) => f.trim().toUpperCase());
      this.typeIndex = this.columnNames.indexOf('RECORD_IDENTIFIER');
    } else if (!this.encodingRejected('10', fields, line, out) && fields.length !== HEADER_FIELDS) {
      out.push(wrongCount('10', HEADER_FIELDS, fields.length, line));
    }
  }

  /** Rejects the row when a field holds bytes that were not UTF-8, naming the first such field (never its value). */
  private encodingRejected(type: string, fields: string[], line: number, out: GazetteerEvent[]): boolean {
    if (!this.checkEncoding) return false;
    const i = fields.findIndex((f) => NOT_UTF8.test(f));
    if (i < 0) return false;
    out.push({ kind: 'reject', recordType: type, line, reason: `record ${type} field ${this.fieldName(type, i)}: ${INVALID_UTF8}` });
    return true;
  }

  /** A field's name: from a split file's header row, else the format's column list; its position when neither names it. */
  private fieldName(type: string, i: number): string {
    if (this.columnNames) return this.columnNames[i] ?? String(i + 1);
    const table = this.rules.tables.get(type);
    if (i < FRAMING_FIELDS && table) return FRAMING_NAMES[i]!;
    return table?.columns[i - FRAMING_FIELDS]?.[0] ?? String(i + 1);
  }

  private convert(fields: string[], line: number, out: GazetteerEvent[]): void {
    if (fields.length === 1 && (fields[0] ?? '').trim() === '') return;
    const type = fields[this.typeIndex] ?? '';
    if (!RECORD_TYPE.test(type)) {
      out.push({ kind: 'reject', recordType: null, line, reason: 'RECORD_IDENTIFIER: not a record type number' });
      return;
    }
    if (this.encodingRejected(type, fields, line, out)) return;
    if (type === '99') return this.trailer(fields, line, out);
    if (type === '10') {
      out.push({ kind: 'skipped', recordType: type, line, reason: 'header record after the first line' });
      return;
    }
    const table = this.rules.tables.get(type);
    if (!table) {
      const reason = this.rules.skipped.has(type) ? 'record type not used by the hub' : 'unknown record type';
      out.push({ kind: 'skipped', recordType: type, line, reason });
      return;
    }
    let row = fields;
    if (this.columnNames) {
      const ordered = this.reorder(table, fields, line, out);
      if (!ordered) return;
      row = ordered;
    } else if (fields.length !== fieldCount(table)) {
      out.push(wrongCount(type, fieldCount(table), fields.length, line));
      return;
    }
    const r = convertRow(table, row);
    if (r.ok === true) {
      out.push({ kind: 'record', record: r.record, line, derived: false });
      if (r.record.type === 21 && this.detection?.format === 'dtf') {
        const org = dtfOrganisation(row, r.record.change, r.record.data);
        if (org) out.push({ kind: 'record', record: org, line, derived: true });
      }
    } else if (r.ok === 'skip') {
      out.push({ kind: 'skipped', recordType: type, line, reason: r.reason, ...(r.withdrawn ? { withdrawn: r.withdrawn } : {}) });
    } else {
      out.push({ kind: 'reject', recordType: type, line, reason: r.reason });
    }
  }

  /** Split files: put the row's fields in the table's order using the header row's names. */
  private reorder(table: AnyRecordTable, fields: string[], line: number, out: GazetteerEvent[]): string[] | null {
    const names = this.columnNames!;
    const type = String(table.type);
    if (fields.length !== names.length) {
      out.push({ kind: 'reject', recordType: type, line, reason: `record ${type}: expected ${names.length} fields as in the header row, got ${fields.length}` });
      return null;
    }
    let order = this.orders.get(type);
    if (order === undefined) {
      order = columnOrder(table, names);
      this.orders.set(type, order);
    }
    if (typeof order === 'string') {
      out.push({ kind: 'reject', recordType: type, line, reason: order });
      return null;
    }
    return order ? order.map((i) => fields[i] ?? '') : fields;
  }

  private trailer(fields: string[], line: number, out: GazetteerEvent[]): void {
    if (fields.length !== TRAILER_FIELDS) {
      out.push(wrongCount('99', TRAILER_FIELDS, fields.length, line));
      return;
    }
    const count = fields[2] ?? '';
    if (!/^\d+$/.test(count)) {
      out.push({ kind: 'reject', recordType: '99', line, reason: 'record 99 field RECORD_COUNT: not an integer' });
      return;
    }
    const next = fields[1] ?? '';
    this.trailerSeen = true;
    out.push({ kind: 'trailer', recordCount: Number(count), nextVolumeNumber: /^\d+$/.test(next) ? Number(next) : null, line });
  }
}

function wrongCount(type: string, expected: number, got: number, line: number): RejectEvent {
  return { kind: 'reject', recordType: type, line, reason: `record ${type}: expected ${expected} fields, got ${got}` };
}

/** Column positions for a table from a split file's header row: null when already in order, a reason when a column is missing. */
function columnOrder(table: AnyRecordTable, names: readonly string[]): number[] | null | string {
  const wanted = ['RECORD_IDENTIFIER', 'CHANGE_TYPE', 'PRO_ORDER', ...table.columns.map((c) => c[0])];
  const order: number[] = [];
  for (const name of wanted) {
    const i = names.indexOf(name);
    if (i < 0) return `record ${table.type}: header row lacks column ${name}`;
    order.push(i);
  }
  return order.every((v, i) => v === i) ? null : order;
}

/**
 * Read a gazetteer file as events: header first, end last. Throws
 * GazetteerFormatError when the start of the input is no gazetteer at all.
 */
export async function* readGazetteer(
  input: NodeJS.ReadableStream | AsyncIterable<string | Uint8Array>,
  opts: ReadOptions,
): AsyncGenerator<GazetteerEvent> {
  const splitter = new CsvRecordSplitter();
  const builder = new EventBuilder(opts.fileName);
  const decoder = new Utf8Decoder();
  let out: GazetteerEvent[] = [];
  const sink: CsvSink = {
    row: (fields, line) => builder.row(fields, line, out),
    problem: (reason, line) => builder.problem(reason, line, out),
  };
  for await (const chunk of input as AsyncIterable<string | Uint8Array>) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk);
    // Text given as strings can hold a lone surrogate too, which would reach the database as U+FFFD.
    if (decoder.invalid || (typeof chunk === 'string' && !builder.checkEncoding && NOT_UTF8.test(chunk))) builder.checkEncoding = true;
    splitter.push(text, sink);
    if (out.length > 0) {
      const batch = out;
      out = [];
      yield* batch;
    }
  }
  const rest = decoder.end();
  if (decoder.invalid) builder.checkEncoding = true;
  splitter.push(rest, sink);
  splitter.end(sink);
  builder.finish(out);
  out.push({ kind: 'end', lines: splitter.lines, trailerSeen: builder.trailerSeen, finalNewline: splitter.finalNewline });
  yield* out;
}

/** readGazetteer over a file on disk. */
export function readGazetteerFile(filePath: string): AsyncGenerator<GazetteerEvent> {
  return readGazetteer(createReadStream(filePath, { highWaterMark: 1 << 20 }), { fileName: filePath });
}
