/**
 * One way to reach the hub's database for the server, the workers and every
 * CLI command: DATABASE_URL when set, otherwise the embedded server. Two
 * logins: the owner's (`url`) for schema changes, and the application role's
 * (`pool`) for everything else (src/db/roles.ts says why).
 */
import pg from 'pg';
import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import { openEmbedded } from './embedded.js';
import { endPool, guardPool } from './pool-guard.js';
import './types.js';

export interface Database {
  /**
   * The owner's connection: only for what changes the schema (migrations,
   * pg-boss's schema and queues, a gazetteer FULL import's schema swap).
   */
  url: string;
  /** The application role's connection; the pool's. */
  appUrl: string;
  /** The role appUrl logs in as, or null when it is the owner's own login (DATABASE_URL without DATABASE_APP_URL). */
  appRole: string | null;
  /** Connections as the application role. */
  pool: pg.Pool;

  /** Ends the pool and stops the embedded server if this process started it. */
  close(): Promise<void>;
}

export interface OpenOptions {
  log?: (message: string) => void;
  poolSize?: number;
  embeddedSettings?: Record<string, string>;
}

function describe(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'the configured server';
  }
}

function loginOf(url: string): string {
  return decodeURIComponent(new URL(url).username);
}

async function checkReachable(url: string, variable = 'DATABASE_URL'): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    const reason = (error as { code?: string; message?: string }).code ?? (error as Error).message;
    throw new ConfigError(variable, `cannot connect to ${describe(url)} (${reason})`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function openDatabase(config: Config, options: OpenOptions = {}): Promise<Database> {
  let url: string;
  let appUrl: string;
  let stopServer = async () => undefined as void;
  if (config.databaseUrl) {
    url = config.databaseUrl;
    appUrl = config.databaseAppUrl ?? url;
    await checkReachable(url);
    if (appUrl !== url) await checkReachable(appUrl, 'DATABASE_APP_URL');
  } else {
    const server = await openEmbedded({ dataDir: config.dataDir, log: options.log, settings: options.embeddedSettings });
    url = server.url;
    appUrl = server.appUrl;
    stopServer = () => server.stop();
  }
  const appRole = loginOf(appUrl) === loginOf(url) ? null : loginOf(appUrl);
  const pool = guardPool(new pg.Pool({ connectionString: appUrl, max: options.poolSize ?? 10 }), (error) => options.log?.(`database pool: ${error.message}`));
  let closed = false;
  return {
    url,
    appUrl,
    appRole,
    pool,
    async close() {
      if (closed) return;
      closed = true;
      await endPool(pool);
      await stopServer();
    },
  };
}
