import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GazetteerFormatError, detectFormat, detectGazetteerFile, detectGazetteerText, fileTypeFromName } from '../../../adapters/gazetteer/detect.js';
import { readGazetteerFile } from '../../../adapters/gazetteer/read.js';
import { ABP, DTF, csv, fields, read } from './build.js';

const header = (version: string, fileType: string) => fields(ABP[10], 10, { CUSTODIAN_NAME: 'TEST COUNCIL', VERSION: version, FILE_TYPE: fileType });
const abpBlpu = fields(ABP[21], 21, { UPRN: 1, LOGICAL_STATUS: 1 });
const dtfBlpu = fields(DTF[21], 21, { UPRN: 1, LOGICAL_STATUS: 1 });
const abpLpi = fields(ABP[24], 24, { UPRN: 1, LPI_KEY: 'K', LANGUAGE: 'ENG', LOGICAL_STATUS: 1, USRN: 2 });
const dtfLpi = fields(DTF[24], 24, { UPRN: 1, LPI_KEY: 'K', LANGUAGE: 'ENG', LOGICAL_STATUS: 1, USRN: 2 });
const classification = fields(ABP[32], 32, { UPRN: 1, CLASS_KEY: 'K', CLASSIFICATION_CODE: 'RD' });

describe('detectFormat', () => {
  it('tells AddressBase from DTF by the field counts of BLPU and LPI records', () => {
    expect(abpBlpu).toHaveLength(22);
    expect(dtfBlpu).toHaveLength(23);
    expect(detectFormat([abpBlpu]).format).toBe('abp');
    expect(detectFormat([dtfBlpu]).format).toBe('dtf');
    expect(detectFormat([abpLpi]).format).toBe('abp');
    expect(detectFormat([dtfLpi]).format).toBe('dtf');
  });

  it('trusts the records over the header VERSION, and the VERSION when no record decides', () => {
    expect(detectFormat([header('7.3', 'F'), abpBlpu])).toMatchObject({ format: 'abp', evidence: 'record 21 has 22 fields' });
    expect(detectFormat([header('7.3', 'F'), classification])).toMatchObject({ format: 'dtf', evidence: 'header VERSION is 7.x' });
    expect(detectFormat([header('1.0', 'F'), classification]).format).toBe('abp');
  });

  it('takes a DTF-only record type as DTF and a delivery point (28) as AddressBase', () => {
    expect(detectFormat([['13', 'I', '1', 'x']]).format).toBe('dtf');
    expect(detectFormat([fields(ABP[28], 28, {})]).format).toBe('abp');
  });

  it('recognises a split file by its column header row', () => {
    const d = detectFormat([['RECORD_IDENTIFIER', 'CHANGE_TYPE', 'PRO_ORDER', ...ABP[21]], abpBlpu]);
    expect(d).toMatchObject({ format: 'abp-split', header: null });
  });

  it('reads FULL or COU from the header, else from the file name, else assumes FULL', () => {
    expect(detectFormat([header('1.0', 'C'), abpBlpu], 'AddressBasePremium_FULL_2024-01-01_001.csv')).toMatchObject({ fileType: 'COU', fileTypeFrom: 'header' });
    expect(detectFormat([header('1.0', 'F'), abpBlpu])).toMatchObject({ fileType: 'FULL', fileTypeFrom: 'header' });
    expect(detectFormat([abpBlpu], '/data/AddressBasePremium_COU_2024-01-01_001.csv')).toMatchObject({ fileType: 'COU', fileTypeFrom: 'file-name' });
    expect(detectFormat([abpBlpu], 'AddressBasePremium_FULL_2024-01-01_001.csv')).toMatchObject({ fileType: 'FULL', fileTypeFrom: 'file-name' });
    expect(detectFormat([abpBlpu], 'llpg.csv')).toMatchObject({ fileType: 'FULL', fileTypeFrom: 'default' });
    expect(fileTypeFromName('council_cou.csv')).toBe('COU');
    expect(fileTypeFromName('COUNCIL.csv')).toBeNull();
  });

  it('refuses input with no gazetteer record', () => {
    expect(() => detectFormat([['name', 'dob'], ['A', 'B']])).toThrow(GazetteerFormatError);
    expect(() => detectFormat([])).toThrow(GazetteerFormatError);
  });

  it('detects from text, ignoring a partial last line unless told the text is complete', () => {
    const text = csv([header('7.3', 'C'), dtfBlpu]);
    expect(detectGazetteerText(text)).toMatchObject({ format: 'dtf', fileType: 'COU' });
    const partial = csv([header('1.0', 'F')]) + csv([dtfBlpu]).trimEnd();
    expect(detectGazetteerText(partial).format).toBe('abp');
    expect(detectGazetteerText(partial, '', true).format).toBe('dtf');
  });
});

describe('reading from files', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'gazetteer-readers-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('detects and reads a file on disk', async () => {
    const file = path.join(dir, 'AddressBasePremium_COU_2024-03-01_001.csv');
    await writeFile(file, csv([abpBlpu, abpLpi]));
    expect(await detectGazetteerFile(file)).toMatchObject({ format: 'abp', fileType: 'COU', fileTypeFrom: 'file-name' });
    const kinds: string[] = [];
    for await (const e of readGazetteerFile(file)) kinds.push(e.kind);
    expect(kinds).toEqual(['header', 'record', 'record', 'end']);
  });

  it('throws GazetteerFormatError from the reader for a file that is no gazetteer', async () => {
    await expect(read('surname,forename\nSMITH,ANN\n')).rejects.toThrow(GazetteerFormatError);
  });
});
