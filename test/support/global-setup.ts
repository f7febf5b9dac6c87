/**
 * One real PostgreSQL for the whole test run: DATABASE_URL's server when set,
 * otherwise an embedded one of its own under .data/test-PID (fsync off:
 * throw-away data, removed afterwards), so that runs side by side never share
 * or stop each other's server.
 * Each test file makes its own database on it (test/support/db.ts).
 */
import { rmSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { openEmbedded, type EmbeddedServer } from '../../src/db/embedded.js';

let server: EmbeddedServer | null = null;
let dataDir: string | null = null;

declare module 'vitest' {
  export interface ProvidedContext {
    adminUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    dataDir = path.resolve(`.data/test-${process.pid}`);
    server = await openEmbedded({
      dataDir,
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '300' },
    });
    adminUrl = server.url.replace(/\/[^/]*$/, '/postgres');
  }
  project.provide('adminUrl', adminUrl);
  return async () => {
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
}
