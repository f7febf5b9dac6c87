import { describe, expect, it } from 'vitest';
import { candidatePairs, DEFAULT_BLOCKING_RULES, TRAINING_BLOCKING_RULES } from '../../../matching/person/blocking.js';
import { emptyNicknameTable } from '../../../matching/person/nicknames.js';
import { prepare } from '../../../matching/person/prepare.js';
import { trainingPairs } from '../../../src/linkage/train.js';
import { syntheticSet } from '../person/synthetic.js';

const tables = { nicknames: emptyNicknameTable() };
const set = syntheticSet(1500, 11);
const people = [...set.left, ...set.right].map((r) => prepare(r, tables));

describe('training pairs', () => {
  it('are candidatePairs itself below the set limit', () => {
    expect(trainingPairs(people)).toEqual(candidatePairs(people, null, TRAINING_BLOCKING_RULES).pairs);
  });

  it('are the same pairs in the same order from the unlimited set (a million records give more than a Set holds)', () => {
    for (const rules of [TRAINING_BLOCKING_RULES, DEFAULT_BLOCKING_RULES]) {
      const expected = candidatePairs(people, null, rules).pairs;
      expect(expected.length).toBeGreaterThan(1000);
      expect(trainingPairs(people, rules, 0)).toEqual(expected);
    }
  });
});
