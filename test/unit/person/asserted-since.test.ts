import { describe, expect, it } from 'vitest';
import { assertedSince } from '../../../src/intake/asserted-since.js';

describe('assertedSince', () => {
  it("carries a held value's first time forward and dates any other from the new version", () => {
    const previous = { since: { a: '2024-01-01T00:00:00.000Z', b: null }, ownTime: '2025-01-01T00:00:00.000Z' };
    expect(assertedSince(['a', 'b', 'c'], previous)).toEqual({ a: '2024-01-01T00:00:00.000Z', b: '2025-01-01T00:00:00.000Z', c: null });
  });

  it('dates every value from the new version when there is no version before, or its map was never written', () => {
    expect(assertedSince(['a'], null)).toEqual({ a: null });
    expect(assertedSince(['a'], { since: null, ownTime: '2025-01-01T00:00:00.000Z' })).toEqual({ a: null });
  });

  it("keeps a value carried from a version of the same transaction without an update time as of the new version's own time", () => {
    expect(assertedSince(['a', 'b'], { since: { a: null }, ownTime: null })).toEqual({ a: null, b: null });
    expect(assertedSince(['a'], { since: { a: '2024-01-01T00:00:00.000Z' }, ownTime: null })).toEqual({ a: '2024-01-01T00:00:00.000Z' });
  });
});
