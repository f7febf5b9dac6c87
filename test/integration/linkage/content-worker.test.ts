import { describe, expect, it } from 'vitest';
import { DEFAULT_BLOCKING_RULES } from '../../../matching/person/index.js';
import { ContentWorker, prepareHere, type SourceRow } from '../../../src/linkage/content.js';
import { loadPrepareTables } from '../../../src/linkage/context.js';
import { population } from './people.js';

const rows = (): SourceRow[] => population(21, 40).map((record, i) => ({
  system: record.system, source_ref: record.sourceRef, id: String(i + 1), record: JSON.stringify(record), matched_uprn: i % 3 === 0 ? String(700000 + i) : null,
}));

describe('preparing records in a worker thread', () => {
  it('prepares rows exactly as this thread does, and this thread takes over when the worker stops', async () => {
    const tables = await loadPrepareTables();
    const here = await prepareHere(rows(), tables, DEFAULT_BLOCKING_RULES, () => undefined);
    expect(here.length).toBe(rows().length);
    expect(here.some((p) => p.keys.length > 3 && p.me.forenameRoots.length > 0 && p.features.uprn !== null)).toBe(true);

    const worker = new ContentWorker(tables, DEFAULT_BLOCKING_RULES);
    try {
      expect(await worker.whenReady()).toBe(true);
      expect(await worker.prepare(rows(), () => undefined)).toEqual(here);
    } finally {
      await worker.close();
    }
    // Stopped: the rows are prepared here, no error.
    expect(await worker.prepare(rows(), () => undefined)).toEqual(here);
  }, 60_000);

  it('is started only with the default blocking rules, which are code the thread imports itself', () => {
    expect(ContentWorker.worthIt(DEFAULT_BLOCKING_RULES, 100_000)).toBe(true);
    expect(ContentWorker.worthIt(DEFAULT_BLOCKING_RULES, 100)).toBe(false);
    expect(ContentWorker.worthIt([...DEFAULT_BLOCKING_RULES], 100_000, true)).toBe(false);
  });
});
