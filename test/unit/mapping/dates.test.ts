import { describe, expect, it } from 'vitest';
import { compileFormat, DateFormatError, parseDate, parseDateTime } from '../../../adapters/mapping/dates.js';

describe('parseDate', () => {
  it.each([
    ['31/01/1970', ['DD/MM/YYYY'], '1970-01-31'],
    ['19700131', ['YYYYMMDD'], '1970-01-31'],
    ['1970-01-31', ['ISO'], '1970-01-31'],
    ['1970-01-31T10:00:00Z', ['ISO'], '1970-01-31'],
    ['3/7/1985', ['D/M/YYYY'], '1985-07-03'],
    [' 29/02/2000 ', ['DD/MM/YYYY'], '2000-02-29'],
    ['1970-01-31', ['DD/MM/YYYY', 'ISO'], '1970-01-31'],
  ])('%s in %j is %s', (text, formats, iso) => {
    expect(parseDate(text, formats)).toEqual({ ok: true, value: iso });
  });

  it.each([
    ['31/02/1990', ['DD/MM/YYYY'], 'date-invalid'],
    ['29/02/1900', ['DD/MM/YYYY'], 'date-invalid'],
    ['19701301', ['YYYYMMDD'], 'date-invalid'],
    ['00/01/1970', ['DD/MM/YYYY'], 'date-invalid'],
    ['3/7/1985', ['DD/MM/YYYY'], 'date-format'],
    ['1970-1-31', ['ISO'], 'date-format'],
    ['31.01.1970', ['DD/MM/YYYY', 'YYYYMMDD'], 'date-format'],
    ['', ['ISO'], 'date-format'],
  ])('%s in %j is refused (%s)', (text, formats, rule) => {
    expect(parseDate(text, formats)).toEqual({ ok: false, rule });
  });

  it('refuses a format without day, month or year at compile time', () => {
    expect(() => compileFormat('MM/YYYY')).toThrow(DateFormatError);
    expect(() => compileFormat('DD/MM')).toThrow(/YYYY/);
  });
});

describe('parseDateTime', () => {
  it.each([
    ['2024-03-01T09:30:00Z', ['ISO'], '2024-03-01T09:30:00Z'],
    ['2024-03-01T09:30:00+01:00', ['ISO'], '2024-03-01T08:30:00Z'],
    ['2024-03-01', ['ISO'], '2024-03-01T00:00:00Z'],
    ['01/03/2024 09:30:15', ['DD/MM/YYYY HH:mm:ss'], '2024-03-01T09:30:15Z'],
    ['20240301093015', ['YYYYMMDDHHmmss'], '2024-03-01T09:30:15Z'],
  ])('%s in %j is %s', (text, formats, iso) => {
    expect(parseDateTime(text, formats)).toEqual({ ok: true, value: iso });
  });

  it('refuses an impossible time', () => {
    expect(parseDateTime('01/03/2024 25:00:00', ['DD/MM/YYYY HH:mm:ss'])).toEqual({ ok: false, rule: 'date-invalid' });
  });
});
