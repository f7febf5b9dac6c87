/**
 * Reading the whole address index for the in-memory candidate source with
 * COPY: text rows split and turned into IndexedAddress objects here, which is
 * several times faster for half a million rows than a query result.
 */
import { StringDecoder } from 'node:string_decoder';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';
import type { IndexedAddress } from '../../schemas/bs7666.js';
import * as sql from './sql.js';

const ESCAPES: Readonly<Record<string, string>> = { b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v' };

/** A COPY text field: \N is null; backslash escapes undone (rare in addresses, so looked for first). */
function text(field: string | undefined): string | null {
  if (field === undefined || field === '\\N') return null;
  if (!field.includes('\\')) return field;
  return field.replace(/\\(?:([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|(.))/g, (_m, octal?: string, hex?: string, c?: string) => {
    if (octal) return String.fromCharCode(parseInt(octal, 8));
    if (hex) return String.fromCharCode(parseInt(hex, 16));
    return ESCAPES[c as string] ?? (c as string);
  });
}

const int = (field: string | undefined): number | null => (field === undefined || field === '\\N' ? null : Number(field));

/** One line of sql.copyIndexRows. */
export function indexRowFromCopy(line: string): IndexedAddress {
  const f = line.split('\t');
  return {
    uprn: Number(f[0]),
    lpiKey: text(f[1]) ?? '',
    logicalStatus: Number(f[2]) as IndexedAddress['logicalStatus'],
    blpuStatus: Number(f[3]) as IndexedAddress['blpuStatus'],
    parentUprn: int(f[4]),
    saoStartNumber: int(f[5]),
    saoStartSuffix: text(f[6]),
    saoEndNumber: int(f[7]),
    saoEndSuffix: text(f[8]),
    saoText: text(f[9]),
    paoStartNumber: int(f[10]),
    paoStartSuffix: text(f[11]),
    paoEndNumber: int(f[12]),
    paoEndSuffix: text(f[13]),
    paoText: text(f[14]),
    usrn: Number(f[15]),
    street: text(f[16]) ?? '',
    locality: text(f[17]),
    town: text(f[18]),
    postcode: text(f[19]),
    organisation: text(f[20]),
    classification: text(f[21]),
    language: text(f[22]) ?? '',
  };
}

export async function readIndexRows(pool: pg.Pool): Promise<IndexedAddress[]> {
  const client = await pool.connect();
  try {
    const rows: IndexedAddress[] = [];
    const decoder = new StringDecoder('utf8');
    let rest = '';
    for await (const chunk of client.query(copyTo(sql.copyIndexRows)) as AsyncIterable<Buffer>) {
      const lines = (rest + decoder.write(chunk)).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) rows.push(indexRowFromCopy(line));
    }
    rest += decoder.end();
    if (rest !== '') rows.push(indexRowFromCopy(rest));
    return rows;
  } finally {
    client.release();
  }
}
