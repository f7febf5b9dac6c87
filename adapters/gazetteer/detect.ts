/**
 * Which exchange format a gazetteer file is in, and whether it is a full
 * supply or a change-only update, from its first rows and its name.
 *
 * AddressBase Premium and DTF 7.3 share their framing; they differ in the
 * header's VERSION and in how many fields their records have (e.g. a BLPU,
 * type 21, has 22 fields in AddressBase and 23 in DTF). Field counts decide;
 * the header's VERSION decides only when no record does.
 */
import { open } from 'node:fs/promises';
import path from 'node:path';
import { ABP_SKIPPED_TYPES, ABP_TABLES } from './abp-columns.js';
import { CsvRecordSplitter } from './csv-records.js';
import { DTF_ONLY_TYPES, DTF_SKIPPED_TYPES, DTF_TABLES } from './dtf-columns.js';
import { fieldCount } from './record-table.js';

export type GazetteerFormat = 'abp' | 'abp-split' | 'dtf';
export type GazetteerFileType = 'FULL' | 'COU';
export type FileTypeSource = 'header' | 'file-name' | 'default';

/** The header record (type 10); no personal data in it. */
export interface GazetteerHeader {
  custodianName: string | null;
  localCustodianCode: number | null;
  processDate: string | null;
  volumeNumber: number | null;
  version: string | null;
  /** FILE_TYPE as written, e.g. F or C. */
  fileType: string | null;
}

export interface Detection {
  format: GazetteerFormat;
  fileType: GazetteerFileType;
  fileTypeFrom: FileTypeSource;
  /** The type 10 record when the first row is one. */
  header: GazetteerHeader | null;
  /** Why this format was chosen, for logs. */
  evidence: string;
}

export class GazetteerFormatError extends Error {
  override name = 'GazetteerFormatError';
}

/** Rows the reader looks at before settling for the header's word or the AddressBase default. */
export const DETECT_LOOKAHEAD = 200;

export const HEADER_FIELDS = 9;

const abpCounts = new Map(ABP_TABLES.map((t) => [String(t.type), fieldCount(t)]));
const dtfCounts = new Map(DTF_TABLES.map((t) => [String(t.type), fieldCount(t)]));
const KNOWN_TYPES = new Set(['10', '99', ...abpCounts.keys(), ...dtfCounts.keys(), ...ABP_SKIPPED_TYPES, ...DTF_SKIPPED_TYPES]);

/** A split file starts with a row of column names, RECORD_IDENTIFIER among them. */
export function isSplitHeaderRow(row: readonly string[]): boolean {
  return row.some((f) => f.trim().toUpperCase() === 'RECORD_IDENTIFIER');
}

/** What one row says about the format, or null when it fits both or neither. */
export function formatEvidence(row: readonly string[]): 'abp' | 'dtf' | null {
  const type = row[0] ?? '';
  if (DTF_ONLY_TYPES.has(type)) return 'dtf';
  if (type === '28') return 'abp';
  const abp = abpCounts.get(type);
  const dtf = dtfCounts.get(type);
  if (abp === undefined || dtf === undefined || abp === dtf) return null;
  if (row.length === abp) return 'abp';
  if (row.length === dtf) return 'dtf';
  return null;
}

export function parseHeader(row: readonly string[]): GazetteerHeader {
  const text = (i: number): string | null => {
    const v = (row[i] ?? '').trim();
    return v === '' ? null : v;
  };
  const int = (i: number): number | null => {
    const v = text(i);
    return v !== null && /^\d+$/.test(v) ? Number(v) : null;
  };
  return {
    custodianName: text(1),
    localCustodianCode: int(2),
    processDate: text(3),
    volumeNumber: int(4),
    version: text(7),
    fileType: text(8),
  };
}

function fileTypeFromHeader(h: GazetteerHeader | null): GazetteerFileType | null {
  const v = h?.fileType?.toUpperCase();
  if (v === 'F' || v === 'FULL') return 'FULL';
  if (v === 'C' || v === 'COU' || v === 'CHANGE') return 'COU';
  return null;
}

/** `AddressBasePremium_FULL_2024-01-01_001.csv` and the like. */
export function fileTypeFromName(fileName: string): GazetteerFileType | null {
  const m = /(?:^|[_\-.])(FULL|COU)(?:[_\-.]|$)/i.exec(path.basename(fileName));
  return m ? (m[1]!.toUpperCase() as GazetteerFileType) : null;
}

/**
 * Decide from the first rows of a file (as split into fields). Throws
 * GazetteerFormatError when no row has a known record type.
 */
export function detectFormat(rows: readonly (readonly string[])[], fileName = ''): Detection {
  const first = rows[0];
  const header = first !== undefined && first[0] === '10' ? parseHeader(first) : null;
  const fromHeader = fileTypeFromHeader(header);
  const fromName = fileTypeFromName(fileName);
  const fileType = fromHeader ?? fromName ?? 'FULL';
  const fileTypeFrom: FileTypeSource = fromHeader ? 'header' : fromName ? 'file-name' : 'default';
  const result = (format: GazetteerFormat, evidence: string): Detection => ({ format, fileType, fileTypeFrom, header, evidence });

  if (first !== undefined && isSplitHeaderRow(first)) return result('abp-split', 'first row is a RECORD_IDENTIFIER column header');
  for (const row of rows) {
    const said = formatEvidence(row);
    if (said) return result(said, `record ${row[0]} has ${row.length} fields`);
  }
  if (header?.version && /^7(?:\.|$)/.test(header.version)) return result('dtf', 'header VERSION is 7.x');
  if (rows.some((r) => KNOWN_TYPES.has(r[0] ?? ''))) return result('abp', 'no record distinguishes the formats; AddressBase assumed');
  throw new GazetteerFormatError('not a gazetteer file: no known RECORD_IDENTIFIER in the first rows');
}

/**
 * Detect from the start of a file's text. Unless `complete`, the sample may
 * end mid-line and its last line is ignored.
 */
export function detectGazetteerText(sample: string, fileName = '', complete = false): Detection {
  const rows: string[][] = [];
  const splitter = new CsvRecordSplitter();
  const sink = { row: (fields: string[]) => rows.length < DETECT_LOOKAHEAD && rows.push(fields), problem: () => {} };
  splitter.push(sample, sink);
  if (complete) splitter.end(sink);
  return detectFormat(rows, fileName);
}

/** Detect by reading only the first 256 KiB of a file. */
export async function detectGazetteerFile(filePath: string): Promise<Detection> {
  const handle = await open(filePath, 'r');
  try {
    const buf = Buffer.alloc(256 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return detectGazetteerText(new TextDecoder().decode(buf.subarray(0, bytesRead)), filePath, bytesRead < buf.length);
  } finally {
    await handle.close();
  }
}
