/**
 * A hub application on a test database, with a log that tests can read. The
 * application works as the application role, like the hub; db.pool stays the
 * owner's for set-up.
 */
import { Writable } from 'node:stream';
import { createClient } from '../../src/auth/clients.js';
import { createLogger } from '../../src/logging.js';
import { buildApp, type AppDeps, type HubApp } from '../../src/server/app.js';
import type { Role } from '../../schemas/roles.js';
import { createTestDatabase, type TestDatabase } from './db.js';

export interface TestHub {
  app: HubApp;
  db: TestDatabase;
  logLines: string[];
  keyFor(role: Role, org?: string, systems?: string[]): Promise<string>;
  close(): Promise<void>;
}

export async function createTestHub(config: Partial<AppDeps['config']> = {}, deps: Pick<AppDeps, 'onAccepted' | 'mappingFiles' | 'mappings'> = {}): Promise<TestHub> {
  const db = await createTestDatabase();
  const logLines: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logLines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const app = await buildApp({
    config: { bodyLimit: 1024 * 1024, rateLimitPerMinute: 100_000, ...config },
    pool: db.appPool,
    logger: createLogger('info', sink),
    ...deps,
  });
  await app.ready();
  return {
    app,
    db,
    logLines,
    async keyFor(role, org = 'Test Council Contact Centre', systems = []) {
      return (await createClient(db.appPool, { org, role, systems })).key;
    },
    async close() {
      await app.close();
      await db.drop();
    },
  };
}
