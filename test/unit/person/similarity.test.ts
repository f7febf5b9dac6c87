import jaroWinklerSimilarity from 'talisman/metrics/jaro-winkler.js';
import { describe, expect, it } from 'vitest';
import { jaroWinkler } from '../../../matching/person/similarity.js';

describe('Jaro-Winkler with remembered pairs', () => {
  it('gives the library\'s value for every pair, asked first or again, either way round', () => {
    const names = ['MARTHA', 'MARHTA', 'DWAYNE', 'DUANE', 'DIXON', 'DICKSONX', 'JON', 'JOHN', 'O', 'OLIVER', 'ABCDEFGHIJ', 'JIHGFEDCBA'];
    for (let round = 0; round < 2; round++) {
      for (const a of names) for (const b of names) expect(jaroWinkler(a, b)).toBe(jaroWinklerSimilarity(a, b));
    }
    // A prefix that changes the Winkler bonus: the pair is remembered as asked, not as its reverse.
    expect(jaroWinkler('JONATHAN', 'JON')).toBe(jaroWinklerSimilarity('JONATHAN', 'JON'));
    expect(jaroWinkler('MARTHA', 'MARHTA')).toBeCloseTo(0.961, 3);
  });
});
