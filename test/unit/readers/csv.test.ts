import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { readCsv, type ReadItem } from '../../../adapters/readers/index.js';
import { splitPlainRecord } from '../../../adapters/readers/csv.js';
import { chunked, collect, utf8 } from './collect.js';

const fieldsOf = (items: ReadItem[]) => items.flatMap((i) => ('fields' in i ? [i.fields] : []));
const errorsOf = (items: ReadItem[]) => items.flatMap((i) => ('error' in i ? [i.error] : []));

describe('CSV reader', () => {
  it('reads a header row and records with line numbers and raw text', async () => {
    const items = await collect(readCsv(chunked(utf8('REF,NAME\r\nA1,"SMITH, JOHN"\r\nA2,JONES\r\n')), { kind: 'csv' }, { path: 'x.csv' }));
    expect(items).toEqual([
      { position: { line: 2, index: 0, path: 'x.csv' }, fields: { REF: 'A1', NAME: 'SMITH, JOHN' }, raw: 'A1,"SMITH, JOHN"' },
      { position: { line: 3, index: 1, path: 'x.csv' }, fields: { REF: 'A2', NAME: 'JONES' }, raw: 'A2,JONES' },
    ]);
  });

  it('uses a given column list, delimiter and quote', async () => {
    const items = await collect(readCsv(utf8("A1|'X|Y'\nA2|Z\n"), { kind: 'csv', columns: ['REF', 'V'], delimiter: '|', quote: "'" }));
    expect(fieldsOf(items)).toEqual([
      { REF: 'A1', V: 'X|Y' },
      { REF: 'A2', V: 'Z' },
    ]);
  });

  it('keeps a quoted field spanning lines', async () => {
    const items = await collect(readCsv(utf8('REF,ADDR\nA1,"1 HIGH ST\nTOWN"\nA2,X\n'), { kind: 'csv' }));
    expect(fieldsOf(items)).toEqual([
      { REF: 'A1', ADDR: '1 HIGH ST\nTOWN' },
      { REF: 'A2', ADDR: 'X' },
    ]);
    expect(items[1]).toMatchObject({ position: { line: 4 } });
  });

  it('reports an unclosed quote at its line and reads the lines after it', async () => {
    const items = await collect(readCsv(utf8('REF,NAME\nA1,"SMITH\nA2,JONES\nA3,BROWN\n'), { kind: 'csv', maxRecordLines: 5 }));
    expect(errorsOf(items)).toEqual([{ position: { line: 2, index: 0 }, reason: expect.stringMatching(/^unclosed-quote/) }]);
    expect(fieldsOf(items)).toEqual([
      { REF: 'A2', NAME: 'JONES' },
      { REF: 'A3', NAME: 'BROWN' },
    ]);
  });

  it('names the rule and field of a misquoted record, never its text', async () => {
    const items = await collect(readCsv(utf8('REF,NAME,FORENAME\nA1,Zz"secret",JOHN\nA2,"Zzsecret"Q,JOHN\nA3,X,"JO"Z\n'), { kind: 'csv' }));
    expect(errorsOf(items).map((e) => e.reason)).toEqual([
      'INVALID_OPENING_QUOTE: in field 2 (a field holding a quote must be quoted, and the quote doubled)',
      'CSV_INVALID_CLOSING_QUOTE: in field 2 (a quote inside a quoted field must be doubled)',
      'CSV_INVALID_CLOSING_QUOTE: in field 3 (a quote inside a quoted field must be doubled)',
    ]);
  });

  it('names a stray quote inside a quoted field as such, not as a quote never closed, when it leaves the quotes odd', async () => {
    const items = await collect(readCsv(utf8('REF,NAME,X\nA1,"ZzQUO"ZzTE",Y\nA2,SMITH,Z\nA3,"Zz""C""D"Zz",F\nA4,Zz"Zz,D\nA5,"ZzOPEN,G\nA6,H,I\n'), { kind: 'csv' }));
    expect(errorsOf(items)).toEqual([
      { position: { line: 2, index: 0 }, reason: 'CSV_INVALID_CLOSING_QUOTE: in field 2 (a quote inside a quoted field must be doubled)' },
      { position: { line: 4, index: 2 }, reason: 'CSV_INVALID_CLOSING_QUOTE: in field 2 (a quote inside a quoted field must be doubled)' },
      { position: { line: 5, index: 3 }, reason: 'INVALID_OPENING_QUOTE: in field 2 (a field holding a quote must be quoted, and the quote doubled)' },
      { position: { line: 6, index: 4 }, reason: 'unclosed-quote: no closing quote within 50 lines' },
    ]);
    expect(fieldsOf(items).map((f) => f.REF)).toEqual(['A2', 'A6']);
    expect(JSON.stringify(errorsOf(items))).not.toMatch(/Zz/);
  });

  it('reports a stray closing quote and goes on', async () => {
    const items = await collect(readCsv(utf8('REF,NAME\nA1,"SMI"TH\nA2,JONES\n'), { kind: 'csv' }));
    expect(errorsOf(items)).toEqual([{ position: { line: 2, index: 0 }, reason: expect.stringMatching(/^CSV_INVALID_CLOSING_QUOTE/) }]);
    expect(fieldsOf(items)).toEqual([{ REF: 'A2', NAME: 'JONES' }]);
  });

  it('reports a wrong column count with the line and keeps going', async () => {
    const items = await collect(readCsv(utf8('A,B\n1,2\n3,4,5\n6\n7,8\n'), { kind: 'csv' }));
    expect(errorsOf(items).map((e) => [e.position.line, e.reason])).toEqual([
      [3, 'wrong-column-count: expected 2 fields, found 3'],
      [4, 'wrong-column-count: expected 2 fields, found 1'],
    ]);
    expect(fieldsOf(items)).toEqual([
      { A: '1', B: '2' },
      { A: '7', B: '8' },
    ]);
  });

  it('recovers inside a long file: bad records among batches of good ones', async () => {
    const good = (from: number, n: number) => Array.from({ length: n }, (_, i) => `G${from + i},OK`);
    const text = ['REF,V', ...good(0, 300), 'X1,"AB', 'X2,CD', 'X3,E"F', ...good(300, 300)].join('\n');
    const items = await collect(readCsv(chunked(utf8(text), 4096), { kind: 'csv', maxRecordLines: 3 }));
    expect(errorsOf(items).map((e) => [e.position.line, e.reason.split(':')[0]])).toEqual([
      [302, 'CSV_INVALID_CLOSING_QUOTE'],
      [304, 'INVALID_OPENING_QUOTE'],
    ]);
    const refs = fieldsOf(items).map((f) => f.REF);
    expect(refs).toEqual([...good(0, 300).map((r) => r.split(',')[0]), 'X2', ...good(300, 300).map((r) => r.split(',')[0])]);
    expect(items.map((i) => ('error' in i ? i.error.position.index : i.position.index))).toEqual(items.map((_, n) => n));
  });

  it('decodes windows-1252 (£ and é)', async () => {
    const bytes = iconv.encode('REF,NOTE\nA1,£5 café\n', 'windows-1252');
    expect([...bytes.subarray(12, 13)]).toEqual([0xa3]);
    const items = await collect(readCsv(chunked(bytes, 3), { kind: 'csv', encoding: 'windows-1252' }));
    expect(fieldsOf(items)).toEqual([{ REF: 'A1', NOTE: '£5 café' }]);
  });

  it('refuses, record by record, UTF-8 read as windows-1252 rather than store it mangled', async () => {
    const bytes = Buffer.from('REF,NAME\nA1,JOSÉ\nA2,SMITH\nA3,£5 CAFÉ\n', 'utf8');
    const items = await collect(readCsv(chunked(bytes, 4), { kind: 'csv', encoding: 'windows-1252' }));
    expect(errorsOf(items)).toEqual([
      { position: { line: 2, index: 0 }, reason: expect.stringMatching(/^wrong-encoding: the record's bytes are UTF-8, not windows-1252/) },
      { position: { line: 4, index: 2 }, reason: expect.stringMatching(/^wrong-encoding/) },
    ]);
    expect(fieldsOf(items)).toEqual([{ REF: 'A2', NAME: 'SMITH' }]);
    // The same text declared as UTF-8 is read whole.
    expect(fieldsOf(await collect(readCsv(bytes, { kind: 'csv', encoding: 'utf-8' })))).toHaveLength(3);
  });

  it('drops a UTF-8 byte-order mark from the first header', async () => {
    const items = await collect(readCsv(utf8('\uFEFFREF,NAME\nA1,X\n'), { kind: 'csv' }));
    expect(fieldsOf(items)).toEqual([{ REF: 'A1', NAME: 'X' }]);
  });

  it('reports invalid UTF-8 on the record that holds it and reads the rest', async () => {
    const bytes = Buffer.concat([Buffer.from('REF,NAME\nA1,CAF'), Buffer.from([0xe9]), Buffer.from('\nA2,OK\n')]);
    const items = await collect(readCsv(bytes, { kind: 'csv' }));
    expect(errorsOf(items)).toEqual([{ position: { line: 2, index: 0 }, reason: expect.stringMatching(/^invalid-encoding/) }]);
    expect(fieldsOf(items)).toEqual([{ REF: 'A2', NAME: 'OK' }]);
  });

  it('reads a UTF-16 file by its byte-order mark, whatever encoding is declared', async () => {
    for (const encoding of ['utf-16le', 'utf-16be']) {
      const bytes = iconv.encode('REF,NAME\r\nA1,RENÉE\r\nA2,"SMITH, JO"\r\n', encoding, { addBOM: true });
      const items = await collect(readCsv(chunked(bytes, 5), { kind: 'csv', encoding: 'windows-1252' }));
      expect(errorsOf(items)).toEqual([]);
      expect(fieldsOf(items)).toEqual([{ REF: 'A1', NAME: 'RENÉE' }, { REF: 'A2', NAME: 'SMITH, JO' }]);
    }
  });

  it('refuses the file when its header cannot be read, never taking a record for the header', async () => {
    const bytes = Buffer.concat([Buffer.from('REF,ADDR'), Buffer.from([0xc9]), Buffer.from('SS\nA1,X\nA2,Y\n')]);
    const items = await collect(readCsv(bytes, { kind: 'csv' }));
    expect(items).toEqual([{ error: { position: { line: 1, index: 0 }, reason: expect.stringMatching(/^unreadable-header: invalid-encoding/) } }]);
  });

  it('refuses the file when its header names a column twice', async () => {
    for (const header of ['REF,NAME,NAME', 'REF,NAME, NAME ']) {
      const items = await collect(readCsv(utf8(`${header}\nA1,X,Y\n`), { kind: 'csv' }));
      expect(items).toEqual([{ error: { position: { line: 1, index: 0 }, reason: expect.stringMatching(/^bad-header: /) } }]);
    }
  });

  it('refuses a file whose lines end in CR alone, saying so, with or without a header', async () => {
    const refused = { error: { position: { line: 1, index: 0 }, reason: 'cr-line-ends: the lines end in CR alone (old Mac line ends); save the file with CR LF or LF line ends' } };
    const rows = Array.from({ length: 30 }, (_, i) => `A${i},SMITH,X`);
    expect(await collect(readCsv(chunked(utf8(['REF,NAME,V', ...rows].join('\r')), 3), { kind: 'csv' }))).toEqual([refused]);
    expect(await collect(readCsv(utf8(`${rows.join('\r')}\r`), { kind: 'csv', columns: ['REF', 'NAME', 'V'] }))).toEqual([refused]);
    expect(await collect(readCsv(utf8('REF,NAME,V\rA1,SMITH,X'), { kind: 'csv' }))).toEqual([refused]);
    // A CR inside a field of an LF or CR LF file, or one line ended by a CR, is read as before.
    expect(fieldsOf(await collect(readCsv(chunked(utf8('REF,NAME\nA1,"B\rC"\r\nA2,D\n'), 2), { kind: 'csv' })))).toEqual([{ REF: 'A1', NAME: 'B\rC' }, { REF: 'A2', NAME: 'D' }]);
    expect(fieldsOf(await collect(readCsv(utf8('A1,"B\rC"\nA2,D'), { kind: 'csv', columns: ['REF', 'NAME'] })))).toEqual([{ REF: 'A1', NAME: 'B\rC' }, { REF: 'A2', NAME: 'D' }]);
    expect(fieldsOf(await collect(readCsv(utf8('A1,B\r'), { kind: 'csv', columns: ['REF', 'NAME'] })))).toEqual([{ REF: 'A1', NAME: 'B' }]);
  });

  it('refuses an unknown encoding before reading', async () => {
    await expect(collect(readCsv(utf8('A\n1\n'), { kind: 'csv', encoding: 'klingon-8' }))).rejects.toThrow(/unknown encoding/);
  });

  it('splits plainly well-formed records as csv-parse does, and leaves every other record to it', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    const pieces = ['a', 'B', 'é', ' ', ',', '|', '"', "'", '""', '\n', '\r', ''];
    let plain = 0;
    for (let n = 0; n < 20_000; n++) {
      let text = '';
      for (let k = Math.floor(random() * 12); k >= 0; k--) text += pieces[Math.floor(random() * pieces.length)];
      for (const [delimiter, quote] of [[',', '"'], ['|', "'"]] as const) {
        const fields = splitPlainRecord(text, delimiter, quote);
        if (!fields) continue;
        plain++;
        const rows = parse(text, { delimiter, quote, escape: quote, record_delimiter: ['\n'], relax_column_count: true }) as string[][];
        expect(rows, JSON.stringify(text)).toEqual([fields]);
      }
    }
    expect(plain).toBeGreaterThan(5_000);
  });
});
