/**
 * One way to reach the hub's database for the server, the workers and every
 * CLI command: DATABASE_URL when set, otherwise the embedded server.
 */
import pg from 'pg';
import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import { openEmbedded } from './embedded.js';

// int8 columns (UPRNs, ids) fit in a double; read them as numbers.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
// Dates stay ISO strings: a date of birth has no time zone.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

export interface Database {
  url: string;
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

async function checkReachable(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (error) {
    const reason = (error as { code?: string; message?: string }).code ?? (error as Error).message;
    throw new ConfigError('DATABASE_URL', `cannot connect to ${describe(url)} (${reason})`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function openDatabase(config: Config, options: OpenOptions = {}): Promise<Database> {
  let url: string;
  let stopServer = async () => undefined as void;
  if (config.databaseUrl) {
    url = config.databaseUrl;
    await checkReachable(url);
  } else {
    const server = await openEmbedded({ dataDir: config.dataDir, log: options.log, settings: options.embeddedSettings });
    url = server.url;
    stopServer = () => server.stop();
  }
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 10 });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', (error) => options.log?.(`database pool: ${error.message}`));
  let closed = false;
  return {
    url,
    pool,
    async close() {
      if (closed) return;
      closed = true;
      await pool.end();
      await stopServer();
    },
  };
}
