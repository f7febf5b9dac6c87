import { describe, expect, it } from 'vitest';
import { PairIdSet } from '../../../matching/person/pair-set.js';
import { seededRandom } from '../../../matching/person/random.js';

describe('pair id set', () => {
  it('answers as a Set does, through growth and for ids beyond 32 bits', () => {
    const random = seededRandom(3);
    const ours = new PairIdSet();
    const reference = new Set<number>();
    // 300,000 adds over 200,000 distinct ids: the table grows several times and many adds repeat an id.
    for (let i = 0; i < 300_000; i++) {
      const id = Math.floor(random() * 200_000) * (i % 2 === 0 ? 1 : 2 ** 21);
      expect(ours.add(id)).toBe(!reference.has(id));
      reference.add(id);
    }
    expect(reference.size).toBeGreaterThan(100_000);
    for (const id of [0, 2 ** 52, 2 ** 33 + 7]) expect(ours.add(id)).toBe(!reference.has(id));
  });
});
