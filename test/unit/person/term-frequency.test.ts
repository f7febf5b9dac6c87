import { describe, expect, it } from 'vitest';
import { candidatePairs } from '../../../matching/person/blocking.js';
import { explainPair } from '../../../matching/person/explain.js';
import { trainModel } from '../../../matching/person/model.js';
import { emptyNicknameTable } from '../../../matching/person/nicknames.js';
import { prepare } from '../../../matching/person/prepare.js';
import type { PersonRecord } from '../../../matching/person/types.js';
import { syntheticSet } from './synthetic.js';

const tables = { nicknames: emptyNicknameTable() };

describe('term-frequency adjustment', () => {
  it('gives two SMITHs less weight than two ZBOROWSKIs', () => {
    const set = syntheticSet(300, 3);
    const smith = (id: string): PersonRecord => ({ id, forenames: ['Ann'], surname: 'Smith', dob: '1960-02-02' });
    const zborowski = (id: string): PersonRecord => ({ id, forenames: ['Ann'], surname: 'Zborowski', dob: '1960-02-02' });
    const left = [...set.left, smith('LS'), zborowski('LZ')].map((r) => prepare(r, tables));
    const right = [...set.right, smith('RS'), zborowski('RZ')].map((r) => prepare(r, tables));
    const model = trainModel(left, right, candidatePairs(left, right).pairs, { seed: 5, randomPairs: 10_000 });

    const surnameOf = (l: string, r: string) => {
      const e = explainPair(model, left.find((p) => p.id === l)!, right.find((p) => p.id === r)!);
      return e.fields.find((f) => f.field === 'surname')!;
    };
    const smiths = surnameOf('LS', 'RS');
    const zborowskis = surnameOf('LZ', 'RZ');
    expect(smiths.level).toBe('exact');
    expect(smiths.baseWeight).toBeCloseTo(zborowskis.baseWeight, 10);
    expect(smiths.weight).toBeLessThan(zborowskis.weight);
    expect(smiths.tfAdjustment).toBeLessThan(0);
    expect(zborowskis.tfAdjustment).toBeGreaterThan(0);
  });
});
