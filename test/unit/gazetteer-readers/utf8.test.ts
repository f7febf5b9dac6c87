/**
 * Bytes that are not UTF-8 in a gazetteer file: each is told apart from
 * text (a lone surrogate, where TextDecoder gives U+FFFD as if written), and
 * the line holding it is a reject naming the field, never the value. Valid
 * UTF-8 reads as before, wherever the chunks of the input cut it.
 */
import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { NOT_UTF8, Utf8Decoder } from '../../../adapters/gazetteer/utf8.js';
import { seededRandom } from '../../../fixtures/council/random.js';
import { ABP, DTF, csv, fields, read, recordsOf, rejectsOf } from './build.js';

const RULE = 'invalid-utf8 (bytes that are not UTF-8, which AddressBase and DTF files are)';

function decodeIn(chunks: Uint8Array[]): { text: string; invalid: boolean } {
  const decoder = new Utf8Decoder();
  const text = chunks.map((c) => decoder.decode(c)).join('') + decoder.end();
  return { text, invalid: decoder.invalid };
}

/** `bytes` cut at every position in `cuts`. */
const cut = (bytes: Uint8Array, cuts: number[]) =>
  [0, ...cuts, bytes.length].slice(1).map((end, i, ends) => bytes.subarray(i === 0 ? 0 : ends[i - 1], end));

describe('Utf8Decoder', () => {
  it('decodes UTF-8 of one to four bytes as TextDecoder does, wherever the chunks cut it', () => {
    const text = 'LÔN Y FELIN, CAFÉ € 𝄞 \uFFFD ŵŷ';
    const bytes = Buffer.from(text, 'utf8');
    for (let i = 0; i <= bytes.length; i++) {
      for (const j of [i, i + 1, i + 2, i + 3]) {
        expect(decodeIn(cut(bytes, [i, Math.min(j, bytes.length)]))).toEqual({ text, invalid: false });
      }
    }
  });

  it('turns each byte that is not UTF-8 into a lone surrogate: Latin-1, overlong, surrogate, past U+10FFFF, cut off at the end', () => {
    const cases: [number[], string][] = [
      [[0x43, 0x41, 0x46, 0xc9, 0x20, 0x52], 'CAF\uDCC9 R'],
      [[0xc0, 0xaf], '\uDCC0\uDCAF'],
      [[0xe0, 0x80, 0xaf], '\uDCE0\uDC80\uDCAF'],
      [[0xed, 0xa0, 0x80], '\uDCED\uDCA0\uDC80'],
      [[0xf4, 0x90, 0x80, 0x80], '\uDCF4\uDC90\uDC80\uDC80'],
      [[0x41, 0xe2, 0x82], 'A\uDCE2\uDC82'],
      [[0xc3, 0x41], '\uDCC3A'],
    ];
    for (const [bytes, text] of cases) {
      expect(decodeIn([Uint8Array.from(bytes)])).toEqual({ text, invalid: true });
      // Cut before the last byte: the decoder waits for the rest of a character and still finds it broken.
      expect(decodeIn(cut(Uint8Array.from(bytes), [bytes.length - 1]))).toEqual({ text, invalid: true });
    }
  });

  it('agrees with isUtf8 on random bytes, and gives the same text however they are chunked', () => {
    const random = seededRandom(7);
    const alphabet = [0x41, 0x2c, 0x0a, 0x80, 0xbf, 0xc2, 0xc3, 0xe0, 0xe2, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x90];
    for (let n = 0; n < 600; n++) {
      const bytes = Uint8Array.from({ length: random.int(0, 12) }, () => random.pick(alphabet));
      const whole = decodeIn([bytes]);
      expect(whole.invalid).toBe(!isUtf8(bytes));
      expect(NOT_UTF8.test(whole.text)).toBe(whole.invalid);
      if (!whole.invalid) expect(whole.text).toBe(new TextDecoder().decode(bytes));
      const cuts = [random.int(0, bytes.length), random.int(0, bytes.length)].sort((a, b) => a - b);
      expect(decodeIn(cut(bytes, cuts))).toEqual(whole);
    }
  });
});

describe('readGazetteer: bytes that are not UTF-8', () => {
  /** The text as UTF-8 with the one `~` replaced by `byte`. */
  const withByte = (text: string, byte: number): Buffer => {
    const bytes = Buffer.from(text, 'utf8');
    bytes[bytes.indexOf(0x7e)] = byte;
    return bytes;
  };
  const header = fields(ABP[10], 10, { CUSTODIAN_NAME: 'TEST COUNCIL', LOCAL_CUSTODIAN_CODE: 9999, PROCESS_DATE: '2024-03-01', VOLUME_NUMBER: 1, ENTRY_DATE: '2024-03-01', TIME_STAMP: '10:00:00', VERSION: '1.0', FILE_TYPE: 'C' });
  const lpi = (pao: string, format: typeof ABP | typeof DTF = ABP) =>
    fields(format[24], 24, { UPRN: 100001, LPI_KEY: '100001L1', LANGUAGE: 'ENG', LOGICAL_STATUS: 1, START_DATE: '2020-01-01', PAO_TEXT: pao, USRN: 7001 }, 'U');

  it('rejects the line naming its record type and field, never the value, and reads on', async () => {
    const text = csv([header, lpi('CAF~ ROW'), lpi('CAFÉ ROW'), fields(ABP[29], 29, { GAZ_NAME: 'TEST', LANGUAGE: 'ENG' })]);
    const events = await read(withByte(text, 0xc9));
    expect(rejectsOf(events)).toEqual([{ kind: 'reject', recordType: '24', line: 2, reason: `record 24 field PAO_TEXT: ${RULE}` }]);
    expect(recordsOf(events).map((e) => [e.line, e.record.type === 24 && e.record.data.paoText])).toEqual([[3, 'CAFÉ ROW']]);
  });

  it('finds it in a DTF line, a record type the hub does not hold, the header record and a split file\'s row', async () => {
    const dtf = csv([fields(ABP[10], 10, { CUSTODIAN_NAME: 'YNYS M~N', PROCESS_DATE: '2024-03-01', VERSION: '7.3', FILE_TYPE: 'F' }), lpi('ROSE COTTAGE', DTF)]);
    expect(rejectsOf(await read(withByte(dtf, 0xd4)))).toMatchObject([{ recordType: '10', line: 1, reason: `record 10 field 2: ${RULE}` }]);
    const dtfLpi = csv([fields(ABP[10], 10, { PROCESS_DATE: '2024-03-01', VERSION: '7.3', FILE_TYPE: 'F' }), lpi('CAF~', DTF)]);
    expect(rejectsOf(await read(withByte(dtfLpi, 0xc9)))).toMatchObject([{ line: 2, reason: `record 24 field PAO_TEXT: ${RULE}` }]);
    const skipped = csv([header, fields(ABP[29], 29, { GAZ_NAME: 'T~ST', LANGUAGE: 'ENG' })]);
    expect(rejectsOf(await read(withByte(skipped, 0xc9)))).toMatchObject([{ recordType: '29', line: 2, reason: `record 29 field 2: ${RULE}` }]);
    const split = csv([['RECORD_IDENTIFIER', 'CHANGE_TYPE', 'PRO_ORDER', ...ABP[24]], lpi('CAF~')]);
    expect(rejectsOf(await read(withByte(split, 0xc9), 'ID24_LPI_Records.csv'))).toMatchObject([{ line: 2, reason: `record 24 field PAO_TEXT: ${RULE}` }]);
  });

  it('finds a byte that is not UTF-8 where a chunk ends, and lets a character the chunks cut through', async () => {
    const text = csv([header, lpi('CAFÉ ROW'), lpi('CAF~ ROW')]);
    const bytes = withByte(text, 0xc3);
    const broken = bytes.indexOf(0xc3, bytes.indexOf('ROW') + 3);
    const valid = bytes.indexOf(0xc3);
    for (const at of [broken, broken + 1, valid + 1]) {
      const events = await read([bytes.subarray(0, at), bytes.subarray(at)] as unknown as string[]);
      expect(rejectsOf(events)).toMatchObject([{ line: 3, reason: `record 24 field PAO_TEXT: ${RULE}` }]);
      expect(recordsOf(events).map((e) => e.record.type === 24 && e.record.data.paoText)).toEqual(['CAFÉ ROW']);
    }
  });
});
