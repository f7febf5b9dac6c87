import { describe, expect, it } from 'vitest';
import type { GazetteerRecord } from '../../../schemas/bs7666.js';
import { generateChanges } from '../../../fixtures/council/changes.js';
import { generateCouncil } from '../../../fixtures/council/generate.js';

const COUNCIL = { seed: 4, addresses: 5_000 };

describe('generateChanges', () => {
  const changes = generateChanges(COUNCIL);
  const full = [...generateCouncil(COUNCIL)];
  const fullUprns = new Set(full.flatMap((r) => (r.type === 21 ? [r.data.uprn] : [])));
  const fullLpiKeys = new Set(full.flatMap((r) => (r.type === 24 ? [r.data.lpiKey] : [])));
  const blpus = (change: GazetteerRecord['change']) => changes.flatMap((r) => (r.type === 21 && r.change === change ? [r.data] : []));

  it('is deterministic', () => {
    expect(JSON.stringify(generateChanges(COUNCIL))).toBe(JSON.stringify(changes));
  });

  it('inserts new properties with their LPI, classification and delivery point, on new UPRNs', () => {
    const inserted = blpus('I');
    expect(inserted.length).toBeGreaterThanOrEqual(10);
    for (const b of inserted) {
      expect(fullUprns.has(b.uprn)).toBe(false);
      const types = changes.filter((r) => r.change === 'I' && 'uprn' in r.data && r.data.uprn === b.uprn).map((r) => r.type);
      expect(types).toEqual(expect.arrayContaining([21, 24, 28, 32]));
      expect(types[0]).toBe(21);
    }
  });

  it('updates an LPI by ending the old one as historic and inserting the new approved one', () => {
    const ended = changes.filter((r) => r.type === 24 && r.change === 'U' && r.data.logicalStatus === 8);
    expect(ended.length).toBeGreaterThan(0);
    const renamed = ended.filter((old) => {
      if (old.type !== 24) return false;
      expect(fullLpiKeys.has(old.data.lpiKey)).toBe(true);
      expect(old.data.endDate).not.toBeNull();
      return changes.some((r) => r.type === 24 && r.change === 'I' && r.data.uprn === old.data.uprn && r.data.logicalStatus === 1 && fullUprns.has(r.data.uprn));
    });
    expect(renamed.length).toBeGreaterThanOrEqual(10);
  });

  it('deletes existing BLPUs after their dependent records', () => {
    const deleted = blpus('D');
    expect(deleted.length).toBeGreaterThanOrEqual(10);
    for (const b of deleted) {
      expect(fullUprns.has(b.uprn)).toBe(true);
      const own = changes.map((r, i) => ({ r, i })).filter(({ r }) => r.change === 'D' && 'uprn' in r.data && r.data.uprn === b.uprn);
      expect(own.at(-1)!.r.type).toBe(21);
      expect(own.map(({ r }) => r.type)).toEqual(expect.arrayContaining([24, 32]));
    }
  });

  it('retires BLPUs with a successor that exists in the same update', () => {
    const successors = changes.filter((r) => r.type === 30);
    expect(successors.length).toBeGreaterThanOrEqual(10);
    for (const s of successors) {
      if (s.type !== 30) continue;
      const at = changes.indexOf(s);
      const retired = changes.findIndex((r) => r.type === 21 && r.change === 'U' && r.data.uprn === s.data.uprn && r.data.logicalStatus === 8 && r.data.endDate !== null);
      const inserted = changes.findIndex((r) => r.type === 21 && r.change === 'I' && r.data.uprn === s.data.successor);
      expect(fullUprns.has(s.data.uprn)).toBe(true);
      expect(retired).toBeGreaterThanOrEqual(0);
      expect(inserted).toBeGreaterThan(retired);
      expect(at).toBeGreaterThan(inserted);
    }
  });
});
