/**
 * Configuration from environment variables, validated once at start. A bad
 * value stops the hub with one line naming the variable (ConfigError).
 */
import { accessSync, constants, statSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { HUB_PURPOSES, PURPOSES } from '../schemas/categories.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface Config {
  /** External PostgreSQL; null means the embedded server under dataDir. */
  databaseUrl: string | null;
  /**
   * The application's own login on the DATABASE_URL server: a role that owns
   * nothing and is no superuser. Null: the hub works as DATABASE_URL's role.
   */
  databaseAppUrl: string | null;
  dataDir: string;
  host: string;
  port: number;
  logLevel: LogLevel;
  /** Largest request body accepted, in bytes (413 past it). */
  bodyLimit: number;
  /** Requests per minute per API client (or per address before authentication). */
  rateLimitPerMinute: number;
  /** Run the pg-boss workers inside the API process. */
  workers: boolean;
  /**
   * Load the demo council on the first start against an empty database. By
   * default only on the embedded database: an empty server given by
   * DATABASE_URL is a council's new production database, not a demo.
   */
  demo: boolean;
  /** Most records accepted in one push request. */
  pushBatchMax: number;
  /** How long a graceful shutdown may take before the process is forced down. */
  shutdownTimeoutMs: number;
  /** An extra nickname table (name1,relationship,name2 CSV) merged with the built-in one. */
  nicknamesFile: string | null;
  /**
   * Mapping files beyond the shipped ones (MAPPING_FILES, comma-separated): each serves the system it names, for
   * pushes, withdrawals and `hub ingest` without --mapping, replacing the shipped mapping of that system if there is one.
   */
  mappingFiles: string[];
  /** Purposes accepted in X-Purpose beyond the built-in vocabulary. */
  extraPurposes: string[];
  /** Address parser: the built-in BS 7666 parser, or libpostal through the optional node-postal package. */
  addressParser: 'builtin' | 'libpostal';
  /**
   * Which proxies in front of the hub to believe about the client's address
   * (X-Forwarded-For), as Fastify's `trustProxy` takes it: false, true (every
   * hop), a number of hops, or addresses and CIDR ranges. The per-address
   * limits and the log's remote address use the address so found.
   */
  trustProxy: boolean | number | string[];
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number between ${min} and ${max} (got "${raw}")`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max} (got ${value})`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name)?.toLowerCase();
  if (raw === undefined) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw)) return true;
  if (['0', 'false', 'no', 'off'].includes(raw)) return false;
  throw new ConfigError(name, `must be true or false (got "${raw}")`);
}

function databaseUrl(env: Env, name: 'DATABASE_URL' | 'DATABASE_APP_URL'): string | null {
  const raw = text(env, name);
  if (raw === undefined) return null;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, 'is not a URL (expected postgres://user:password@host:port/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError(name, `must start with postgres:// or postgresql:// (got ${url.protocol}//)`);
  }
  if (name === 'DATABASE_APP_URL' && !url.username) throw new ConfigError(name, 'must name the role to log in as (postgres://role:password@host:port/database)');
  return raw;
}

function addressParser(env: Env): 'builtin' | 'libpostal' {
  const value = (text(env, 'ADDRESS_PARSER') ?? 'builtin').toLowerCase();
  if (value !== 'builtin' && value !== 'libpostal') throw new ConfigError('ADDRESS_PARSER', `must be builtin or libpostal (got "${value}")`);
  return value;
}

/**
 * A file the hub reads, resolved and checked at start: it would otherwise be
 * read only when first needed (the nickname table: by the demo load or the
 * first linking job), and fail there with a bare ENOENT.
 */
function readableFile(env: Env, name: string, cwd: string): string | null {
  const raw = text(env, name);
  if (raw === undefined) return null;
  const file = path.resolve(cwd, raw);
  try {
    if (statSync(file).isDirectory()) throw new ConfigError(name, `cannot read ${file}: it is a directory`);
    accessSync(file, constants.R_OK);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOTDIR' ? 'a part of the path is not a directory' : (code ?? 'unreadable');
    throw new ConfigError(name, `cannot read ${file}: ${reason}`);
  }
  return file;
}

/** Names proxy-addr (Fastify's) knows for ranges of addresses. */
const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

function trustProxy(env: Env): boolean | number | string[] {
  const raw = text(env, 'TRUST_PROXY');
  if (raw === undefined || ['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  if (['true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (/^\d+$/.test(raw)) return integer(env, 'TRUST_PROXY', 0, 1, 100);
  const entries = raw.split(',').map((e) => e.trim()).filter(Boolean);
  for (const entry of entries) {
    const [address = '', prefix, ...rest] = entry.split('/');
    const family = isIP(address);
    const prefixOk = prefix === undefined || (/^\d+$/.test(prefix) && Number(prefix) <= (family === 6 ? 128 : 32));
    if (!PROXY_RANGES.includes(entry) && (family === 0 || !prefixOk || rest.length > 0)) {
      throw new ConfigError('TRUST_PROXY', `"${entry}" is not an address, a CIDR range or one of ${PROXY_RANGES.join(', ')} (or give true, false or a number of hops)`);
    }
  }
  return entries;
}

export function loadConfig(env: Env = process.env, cwd = process.cwd()): Config {
  const logLevel = (text(env, 'LOG_LEVEL') ?? 'info').toLowerCase();
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')} (got "${logLevel}")`);
  }
  const extraPurposes = (text(env, 'HUB_EXTRA_PURPOSES') ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const known = new Set<string>(PURPOSES);
  for (const purpose of extraPurposes) {
    if (!/^[a-z][a-z0-9-]{1,62}$/.test(purpose)) {
      throw new ConfigError('HUB_EXTRA_PURPOSES', `"${purpose}" is not a purpose name (lower case letters, digits and hyphens)`);
    }
    if ((HUB_PURPOSES as readonly string[]).includes(purpose)) {
      throw new ConfigError('HUB_EXTRA_PURPOSES', `"${purpose}" is a purpose the hub records its own work under (${HUB_PURPOSES.join(', ')}); no caller may state it`);
    }
    if (known.has(purpose)) throw new ConfigError('HUB_EXTRA_PURPOSES', `"${purpose}" is in the vocabulary already (built in, or given twice)`);
    known.add(purpose);
  }
  const dbUrl = databaseUrl(env, 'DATABASE_URL');
  const appUrl = databaseUrl(env, 'DATABASE_APP_URL');
  // The embedded server makes its own application role; an app URL without DATABASE_URL would point nowhere known.
  if (appUrl && !dbUrl) throw new ConfigError('DATABASE_APP_URL', 'needs DATABASE_URL (the owner connection for migrations) to be set too');
  return {
    databaseUrl: dbUrl,
    databaseAppUrl: appUrl,
    dataDir: path.resolve(cwd, text(env, 'DATA_DIR') ?? '.data'),
    host: text(env, 'HOST') ?? '127.0.0.1',
    port: integer(env, 'PORT', 3000, 0, 65535),
    logLevel: logLevel as LogLevel,
    bodyLimit: integer(env, 'BODY_LIMIT_BYTES', 10 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    rateLimitPerMinute: integer(env, 'RATE_LIMIT_PER_MINUTE', 6000, 1, 10_000_000),
    workers: boolean(env, 'HUB_WORKERS', true),
    demo: boolean(env, 'HUB_DEMO', dbUrl === null),
    pushBatchMax: integer(env, 'PUSH_BATCH_MAX', 1000, 1, 100_000),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_MS', 30_000, 100, 600_000),
    nicknamesFile: readableFile(env, 'NICKNAMES_FILE', cwd),
    mappingFiles: (text(env, 'MAPPING_FILES') ?? '').split(',').map((f) => f.trim()).filter(Boolean)
      .map((f) => readableFile({ MAPPING_FILES: f }, 'MAPPING_FILES', cwd)!),
    extraPurposes,
    addressParser: addressParser(env),
    trustProxy: trustProxy(env),
  };
}
