import { describe, expect, it } from 'vitest';
import { readGazetteer } from '../../../adapters/gazetteer/read.js';
import { GazetteerTally, summarise } from '../../../adapters/gazetteer/tally.js';
import { Readable } from 'node:stream';
import { ABP, DTF, csv, fields } from './build.js';

const header = (version = '1.0') => fields(ABP[10], 10, { CUSTODIAN_NAME: 'TEST COUNCIL', VERSION: version, FILE_TYPE: 'F' });
const trailer = (count: number) => fields(ABP[99], 99, { NEXT_VOLUME_NUMBER: 0, RECORD_COUNT: count });
const blpu = (uprn: number) => fields(ABP[21], 21, { UPRN: uprn, LOGICAL_STATUS: 1 });
const dtfBlpu = fields(DTF[21], 21, { UPRN: 5, LOGICAL_STATUS: 1, ORGANISATION: 'A CLUB' });

const tallyOf = (text: string, maxRejects?: number) => summarise(readGazetteer(Readable.from([text]), { fileName: 'x.csv' }), maxRejects);

describe('GazetteerTally', () => {
  it('counts records, skips and rejects per type, and a trailer that agrees is clean', async () => {
    const bad = blpu(1).slice(0, 4);
    const t = await tallyOf(csv([header(), blpu(1), blpu(2), ['29', 'META'], ['55', 'I', '1'], bad, trailer(5)]));
    expect(t.format).toBe('abp');
    expect(t.records).toEqual({ 21: 2 });
    expect(t.skipped).toEqual({ 29: 1, 55: 1 });
    expect(t.rejects).toEqual([{ recordType: '21', line: 6, reason: 'record 21: expected 22 fields, got 4' }]);
    expect(t.dataLines).toBe(5);
    expect(t.trailerCount).toBe(5);
    expect(t.trailerMismatch).toBe(false);
    expect(t.trailerMissing).toBe(false);
    expect(t.clean).toBe(false);
  });

  it('flags a trailer whose RECORD_COUNT disagrees with the lines read', async () => {
    const t = await tallyOf(csv([header(), blpu(1), blpu(2), trailer(3)]));
    expect(t.dataLines).toBe(2);
    expect(t.trailerMismatch).toBe(true);
    expect(t.clean).toBe(false);
    const ok = await tallyOf(csv([header(), blpu(1), blpu(2), trailer(2)]));
    expect(ok.clean).toBe(true);
  });

  it('flags a missing trailer, except for split files which have none', async () => {
    const t = await tallyOf(csv([header(), blpu(1)]));
    expect(t.trailerMissing).toBe(true);
    expect(t.clean).toBe(false);
    const split = await tallyOf(csv([['RECORD_IDENTIFIER', 'CHANGE_TYPE', 'PRO_ORDER', ...ABP[21]], blpu(1)]));
    expect(split.trailerMissing).toBe(false);
    expect(split.clean).toBe(true);
  });

  it('counts derived DTF organisations apart from the lines they come from', async () => {
    const t = await tallyOf(csv([header('7.3'), dtfBlpu, trailer(1)]));
    expect(t.records).toEqual({ 21: 1 });
    expect(t.derived).toEqual({ 31: 1 });
    expect(t.clean).toBe(true);
  });

  it('keeps only the first rejects in detail but counts them all', async () => {
    const bad = Array.from({ length: 5 }, () => ['21', 'I', '1']);
    const t = await tallyOf(csv([header(), ...bad, trailer(5)]), 2);
    expect(t.rejectCount).toBe(5);
    expect(t.rejects.map((r) => r.line)).toEqual([2, 3]);
  });

  it('passes events through unchanged while tracking them', async () => {
    const tally = new GazetteerTally();
    const kinds: string[] = [];
    for await (const e of tally.track(readGazetteer(Readable.from([csv([header(), blpu(1), trailer(1)])]), { fileName: 'x.csv' }))) kinds.push(e.kind);
    expect(kinds).toEqual(['header', 'record', 'trailer', 'end']);
    expect(tally.clean).toBe(true);
  });
});
