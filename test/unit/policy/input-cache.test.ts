import { describe, expect, it } from 'vitest';
import { RegisterInputCache, registerGuardSql, registerGuardValues } from '../../../src/register/input-cache.js';
import { agreement, consent, COUNCIL, POLICE, restriction } from './register-fixtures.js';

const none = (ref: string) => ({ ref, consents: [], objections: [], restrictions: [] });

describe('the register input cache', () => {
  it('keeps agreements per organisation at the version read, and drops derived values when the version moves', () => {
    const cache = new RegisterInputCache();
    expect(cache.agreementsOf(COUNCIL)).toBeUndefined();
    cache.learn(COUNCIL, 3, [agreement()], []);
    const first = cache.agreementsOf(COUNCIL)!;
    expect(first.version).toBe(3);
    first.derived.set('k', 1);
    cache.learn(COUNCIL, 3, [agreement()], []);
    expect(cache.agreementsOf(COUNCIL)!.derived.get('k')).toBe(1);
    cache.learn(COUNCIL, 4, [agreement({ version: 2 })], []);
    expect(cache.agreementsOf(COUNCIL)).toMatchObject({ version: 4, agreements: [{ version: 2 }] });
    expect(cache.agreementsOf(COUNCIL)!.derived.size).toBe(0);
    expect(cache.agreementsOf(POLICE)).toBeUndefined();
    cache.forget(COUNCIL);
    expect(cache.agreementsOf(COUNCIL)).toBeUndefined();
    cache.learn(COUNCIL, 5, [], []);
    cache.learn(COUNCIL, null, [], []);
    expect(cache.agreementsOf(COUNCIL)).toBeUndefined();
  });

  it('remembers which citizens have register records, and forgets one found without', () => {
    const cache = new RegisterInputCache();
    cache.learn(COUNCIL, 1, [], [{ ...none('A'), consents: [consent({ citizenRef: 'A' })] }, none('B'), { ...none('C'), restrictions: [restriction({ citizenRef: 'C' })] }]);
    expect(['A', 'B', 'C'].map((ref) => cache.hasRecords(ref))).toEqual([true, false, true]);
    cache.learn(COUNCIL, 1, [], [none('A')]);
    expect(cache.hasRecords('A')).toBe(false);
  });

  it('remembers a bounded number of citizens with records, the earliest forgotten first', () => {
    const cache = new RegisterInputCache();
    const held = (ref: string) => ({ ...none(ref), restrictions: [restriction({ citizenRef: ref })] });
    for (let i = 0; i < 10_001; i++) cache.learn(COUNCIL, 1, [], [held(`R${i}`)]);
    expect(cache.hasRecords('R0')).toBe(false);
    expect(cache.hasRecords('R1')).toBe(true);
    expect(cache.hasRecords('R10000')).toBe(true);
  });

  it('guards each entry on its version and on every reference given for it, numbering its parameters from the one given', () => {
    const sql = registerGuardSql('r.i', 21);
    expect(sql).toContain('register_version) = ($21::bigint[])[r.i]');
    // The entries whose references hold records, found once a statement: each reference is probed once.
    expect(sql).toContain('r.i <> ALL (ARRAY(SELECT g.i FROM unnest($22::int[], $23::text[]) g(i, ref)');
    for (const table of ['consent', 'objection', 'restriction']) expect(sql).toContain(`FROM ${table} WHERE citizen_ref = g.ref`);
    expect(sql).not.toMatch(/\$(?!21|22|23)\d/);
    expect(registerGuardValues([{ agreementsVersion: 4, citizenRefs: ['C1'] }, { agreementsVersion: 5, citizenRefs: ['C2', 'C3'] }]))
      .toEqual([[4, 5], [1, 2, 2], ['C1', 'C2', 'C3']]);
  });
});
