import { describe, expect, it } from 'vitest';
import { indexRowFromCopy } from '../../../src/addresses/index-rows.js';

describe('indexRowFromCopy', () => {
  it('reads a COPY text line of the address index, with nulls, numbers and escapes', () => {
    const line = ['100010000001', '9001L1', '1', '1', '\\N', '3', 'A', '\\N', '\\N', 'FLAT', '12', '\\N', '14', '\\N', 'O\\\\NEILL\\tHOUSE',
      '21000001', 'MILL LANE', '\\N', 'EXAMPLETON', 'ZZ1 1AB', '\\N', 'RD06', 'CYM'].join('\t');
    expect(indexRowFromCopy(line)).toEqual({
      uprn: 100010000001, lpiKey: '9001L1', logicalStatus: 1, blpuStatus: 1, parentUprn: null,
      saoStartNumber: 3, saoStartSuffix: 'A', saoEndNumber: null, saoEndSuffix: null, saoText: 'FLAT',
      paoStartNumber: 12, paoStartSuffix: null, paoEndNumber: 14, paoEndSuffix: null, paoText: 'O\\NEILL\tHOUSE',
      usrn: 21000001, street: 'MILL LANE', locality: null, town: 'EXAMPLETON', postcode: 'ZZ1 1AB', organisation: null, classification: 'RD06', language: 'CYM',
    });
  });
});
