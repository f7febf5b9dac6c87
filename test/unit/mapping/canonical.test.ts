/**
 * The intake hashes and stores a record's canonical JSON (sorted keys). The
 * mapping builds records with their keys in that order, so that the intake
 * can let JSON.stringify write them; these tests hold the shipped mappings to
 * it on the four fixture extracts, and check that anything else still gets
 * the canonical text.
 */
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { buildExtracts } from '../../../fixtures/people/extracts.js';
import { generatePopulation } from '../../../fixtures/people/population.js';
import { loadDefaultMapping, readAndMap } from '../../../adapters/mapping/index.js';
import type { SourceRecord } from '../../../schemas/source-record.js';
import { canonical } from '../../../src/intake/store.js';

/** The canonical text written the plain way: keys sorted at every level, undefined members left out. */
function reference(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v !== null && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    : v));
}

/** Every key of every object in the order it was built. */
function keysInOrder(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) return value.every(keysInOrder);
  const keys = Object.keys(value);
  return keys.every((k, i) => i === 0 || keys[i - 1]! < k) && Object.values(value).every(keysInOrder);
}

describe('canonical record JSON', () => {
  it('is what JSON.stringify writes for every record the shipped mappings make of the fixture extracts', async () => {
    const pop = generatePopulation({ seed: 3, council: { seed: 3, addresses: 300 } });
    let records = 0;
    for (const extract of buildExtracts(pop, 3)) {
      const mapping = await loadDefaultMapping(extract.system);
      for (const text of [extract.main.text, extract.update.text]) {
        const bytes = extract.encoding === 'windows-1252' ? iconv.encode(text, 'win1252') : Buffer.from(text);
        for await (const item of readAndMap(mapping, bytes, { today: '2026-11-30' })) {
          if (!('record' in item)) continue;
          records++;
          expect(keysInOrder(item.record), `${extract.system} ${item.record.sourceRef}`).toBe(true);
          expect(canonical(item.record)).toBe(reference(item.record));
        }
      }
    }
    expect(records).toBeGreaterThan(500);
  });

  it('sorts keys, leaves undefined members out and writes non-plain objects as before when a value is not built in order', () => {
    const record = { system: 'revenues', names: [{ surname: 'TESTER', forenames: ['ALAN'], title: undefined }], closed: false } as unknown as SourceRecord;
    expect(canonical(record)).toBe('{"closed":false,"names":[{"forenames":["ALAN"],"surname":"TESTER"}],"system":"revenues"}');
    expect(canonical({ b: [1, undefined, 2], a: 1 })).toBe('{"a":1,"b":[1,,2]}');
    expect(canonical({ at: new Date(0), z: { '10': 1, '9': 2 } })).toBe('{"at":{},"z":{"10":1,"9":2}}');
  });
});
