import { describe, expect, it } from 'vitest';
import { candidatePairs } from '../../../matching/person/blocking.js';
import { explainPair, thinEvidence } from '../../../matching/person/explain.js';
import { levelWeights, trainModel, type PersonModel } from '../../../matching/person/model.js';
import { emptyNicknameTable } from '../../../matching/person/nicknames.js';
import { prepare } from '../../../matching/person/prepare.js';
import { modelFromJson, modelToJson } from '../../../matching/person/serialise.js';
import type { PreparedPerson } from '../../../matching/person/types.js';
import { syntheticSet } from './synthetic.js';

const tables = { nicknames: emptyNicknameTable() };
const set = syntheticSet(400, 7);
const left = set.left.map((r) => prepare(r, tables));
const right = set.right.map((r) => prepare(r, tables));
const blocking = candidatePairs(left, right);
const model = trainModel(left, right, blocking.pairs, { seed: 11, randomPairs: 20_000 });
const field = (name: string) => model.fields.find((f) => f.field === name);

describe('Fellegi-Sunter model trained by EM without labels', () => {
  it('recovers m and u close to how the synthetic set was made', () => {
    expect(model.training.emConverged).toBe(true);
    // 20% of forenames and surnames were mistyped, 20% of dates transposed.
    expect(field('forename')?.m[0]).toBeGreaterThan(0.7);
    expect(field('forename')?.m[0]).toBeLessThan(0.9);
    expect(field('dob')?.m[0]).toBeCloseTo(0.8, 1);
    expect(field('dob')?.m[1]).toBeCloseTo(0.2, 1);
    expect(field('dob')?.u[0]).toBeLessThan(0.01);
    expect(field('postcode')?.m[0]).toBeGreaterThan(0.8);
    // Address fields keep every level at least ~5% likely among true pairs (stale addresses), so disagreement is no veto.
    expect(Math.min(...field('postcode')!.m)).toBeGreaterThan(0.04);
    // 1 in 400 x 400 pairs is a match.
    expect(model.prior).toBeGreaterThan(0.5 / 400);
    expect(model.prior).toBeLessThan(2 / 400);
  });

  it('links the true pairs and not the others', () => {
    let links = 0;
    let correct = 0;
    for (const p of blocking.pairs) {
      const a = left[p.left] as PreparedPerson;
      const b = right[p.right] as PreparedPerson;
      if (explainPair(model, a, b).decision !== 'link') continue;
      links++;
      if (set.truth.has(`${a.id}|${b.id}`)) correct++;
    }
    expect(correct / set.truth.size).toBeGreaterThan(0.95);
    expect(correct / links).toBeGreaterThan(0.95);
  });

  it('is reproducible: the same data and seed give the same model', () => {
    expect(trainModel(left, right, blocking.pairs, { seed: 11, randomPairs: 20_000 })).toEqual(model);
  });

  it('explains a pair with counted field weights that sum to the total', () => {
    const explanation = explainPair(model, left[0] as PreparedPerson, right[0] as PreparedPerson);
    const sum = explanation.fields.reduce((s, f) => s + f.counted, explanation.priorWeight);
    expect(explanation.total).toBeCloseTo(sum, 10);
    expect(explanation.fields.map((f) => f.field)).toContain('surname');
    for (const f of explanation.fields) expect(f.weight).toBeCloseTo(f.baseWeight + f.tfAdjustment, 10);
  });

  it('counts the address fields once: a couple at one address is not one person, a mover still is', () => {
    const base = left[5] as PreparedPerson;
    const original = set.left.find((r) => r.id === base.id)!;
    const spouse = prepare({ ...original, id: 'spouse', forenames: ['ZELDA'], dob: '1931-12-30' }, tables);
    const couple = explainPair(model, base, spouse);
    const address = couple.fields.filter((f) => ['postcode', 'address', 'town', 'uprn'].includes(f.field) && f.weight > 0);
    expect(address.length).toBeGreaterThan(1);
    expect(address.filter((f) => f.counted !== 0)).toHaveLength(1);
    expect(couple.decision).toBe('distinct');

    const moved = prepare({ ...original, id: 'moved', postcode: 'ZZ99 9ZZ', street: 'NOWHERE CRESCENT', houseNumber: '999', town: 'ELSEWHERE' }, tables);
    expect(explainPair(model, base, moved).decision).toBe('link');
  });

  it('survives a JSON round trip with the same weights, and refuses another version', () => {
    const back = modelFromJson(modelToJson(model));
    expect(back).toEqual(model);
    const a = left[3] as PreparedPerson;
    const b = right[3] as PreparedPerson;
    expect(explainPair(back, a, b)).toEqual(explainPair(model, a, b));
    expect(() => modelFromJson(JSON.stringify({ ...model, version: 2 }))).toThrow(/version/);
    const renamed = { ...model, fields: model.fields.map((f, i) => (i === 0 ? { ...f, field: 'given' } : f)) };
    expect(() => modelFromJson(JSON.stringify(renamed))).toThrow(/does not match/);
  });

  it('orders the levels of a field: a weaker agreement never weighs more than a stronger one, a disagreement never more than 0', () => {
    expect(levelWeights({ m: [0.8, 0.15, 0.05], u: [0.01, 0.5, 0.49] })).toEqual([Math.log2(80), Math.log2(0.3), Math.log2(0.05 / 0.49)]);
    // A middle level estimated above the one before it is held to it; a disagreement random pairs almost never show, to 0.
    const w = levelWeights({ m: [0.5, 0.3, 0.15, 0.05], u: [0.05, 0.001, 0.9, 0.049] });
    expect(w[1]).toBe(w[0]);
    expect(w[2]).toBeLessThan(0);
    expect(levelWeights({ m: [0.85, 0.05, 0.052, 0.048], u: [0.001, 0.01, 0.9889786, 0.0000214] })[3]).toBeLessThanOrEqual(0);
    // A side level (one part of a double-barrelled surname) is held under the level above it, but holds nothing under it.
    const side = levelWeights({ m: [0.8, 0.01, 0.1, 0.09], u: [0.001, 0.01, 0.001, 0.988] }, [1]);
    expect(side[1]).toBe(0);
    expect(side[2]).toBeCloseTo(Math.log2(100), 10);
    expect(side[3]).toBeLessThanOrEqual(Math.min(0, ...side.slice(0, 3)));
  });

  it('counts a different postcode as no evidence for a link, however rare random pairs make it (one district council)', () => {
    // The trained m and u of a council whose residents all live in one district: "different" had weight +11.
    const skewed: PersonModel = {
      ...model,
      fields: model.fields.map((f) => (f.field === 'postcode' ? { ...f, m: [0.85, 0.05, 0.052, 0.048], u: [0.001, 0.01, 0.9889786, 0.0000214] } : f)),
    };
    const a = prepare({ id: 'smartcard|1', forenames: ['FFION'], surname: 'GOLDTHORPE', dob: '1991-08-17', postcode: 'ZZ5 2LB', houseNumber: '1', street: 'STATION ROAD', town: 'ASHHAM' }, tables);
    const b = prepare({ id: 'housing|1', forenames: ['FFION'], surname: 'WATERHOUSE', dob: '1991-08-17', postcode: 'ZZ1 2UB', houseNumber: '3', street: 'CHURCH ROAD', town: 'REDCASTER' }, tables);
    const e = explainPair(skewed, a, b);
    const postcode = e.fields.find((f) => f.field === 'postcode')!;
    expect(postcode.level).toBe('different');
    expect(postcode.weight).toBeLessThanOrEqual(0);
    expect(postcode.agrees).toBe(false);
    expect(thinEvidence(e)).not.toBeNull();
  });
});
