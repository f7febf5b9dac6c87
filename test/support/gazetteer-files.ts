/** Gazetteer supplies a test file writes, in a directory of its own, and a database holding the tiny council's gazetteer. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { importGazetteer } from '../../src/gazetteer/import.js';
import { createTestDatabase, type TestDatabase } from './db.js';
import { tinyAbp } from './tiny-council.js';

export interface ScratchFiles {
  /** Writes the file and returns its path (supply files are named for their type and date, so the name is the caller's). */
  file(name: string, content: string | Uint8Array): string;
  remove(): void;
}

export function scratchFiles(prefix: string): ScratchFiles {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return {
    file(name, content) {
      const p = path.join(dir, name);
      writeFileSync(p, content);
      return p;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A new database with the tiny council's FULL supply of 2026-01-01 imported. */
export async function tinyGazetteerDatabase(files: ScratchFiles): Promise<TestDatabase> {
  const db = await createTestDatabase();
  await importGazetteer(db.url, [files.file('AddressBasePremium_FULL_2026-01-01_001.csv', tinyAbp())]);
  return db;
}
