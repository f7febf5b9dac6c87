/**
 * The database out of reach: a request is answered 503 with Retry-After
 * (plugins/errors.ts), and background work that fails at every pass while it
 * lasts says so once when it starts failing and once when it works again.
 */
import type pg from 'pg';
import { errorMessage } from '../logging.js';

/** Socket errors of a connection that could not be made or was lost. */
const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN']);

/**
 * SQLSTATEs of a server that went away or will not take connections:
 * admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections
 * (class 08, connection exceptions, is matched by its prefix).
 */
const SHUTDOWN_STATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** A host name that does not resolve: not known, or no answer just now. */
const DNS_ERRORS = new Set(['ENOTFOUND', 'EAI_AGAIN']);

/**
 * node-postgres's own errors for a lost or unmade connection, which carry no
 * code: "Connection terminated unexpectedly", "Connection terminated due to
 * connection timeout", pg-pool's "timeout exceeded when trying to connect",
 * and a client that lost its connection being used again.
 */
const PG_CONNECTION_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error and is not queryable)/;

/**
 * The host names a pool connects to (lower case), by which a DNS failure of
 * its connections is told from other look-ups'.
 */
export function databaseHosts(pool: pg.Pool): ReadonlySet<string> {
  const { host, connectionString } = pool.options;
  const hosts = new Set<string>();
  if (typeof host === 'string') hosts.add(host.toLowerCase());
  if (connectionString) {
    try {
      const url = new URL(connectionString);
      hosts.add(url.hostname.toLowerCase());
      const param = url.searchParams.get('host');
      if (param) hosts.add(param.toLowerCase());
    } catch {
      // Not a URL (key=value pairs): its DNS failures stay 500s.
    }
  }
  return hosts;
}

/**
 * Whether an error means the database cannot be reached. Only errors of the
 * connection itself: a DNS failure counts only for a host in `databaseHosts`,
 * since the routes' own look-ups (a webhook receiver's host) fail so too.
 */
export function databaseUnreachable(error: unknown, databaseHosts: ReadonlySet<string> = new Set()): boolean {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, syscall, message, hostname } = e as { code?: unknown; syscall?: unknown; message?: unknown; hostname?: unknown };
    if (typeof code === 'string') {
      if (SOCKET_ERRORS.has(code) || SHUTDOWN_STATES.has(code) || /^08[0-9A-Z]{3}$/.test(code)) return true;
      // A Unix socket that is not there: the embedded PostgreSQL is down and removed it.
      if (code === 'ENOENT' && syscall === 'connect') return true;
      if (DNS_ERRORS.has(code) && typeof hostname === 'string' && databaseHosts.has(hostname.toLowerCase())) return true;
    }
    if (typeof message === 'string' && PG_CONNECTION_MESSAGES.test(message)) return true;
  }
  return false;
}

/** What a log line may say of an error without its stack: its code and first line. */
export function errorSummary(error: unknown): { code: string | null; error: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return { code: typeof code === 'string' ? code : null, error: errorMessage(error).split('\n')[0]! };
}

/** A pino logger, or Fastify's. */
type Log = Record<'error' | 'warn' | 'info', (object: object, message: string) => void>;

/**
 * The failures of one background task that runs again and again (a timer's
 * pass, a reconnecting listener): logged when the task starts failing, or
 * fails differently, and when it works again, instead of at every failure.
 * The database out of reach is logged without a stack: where the code was
 * when the connection failed says nothing of the outage.
 */
export class FailureLog {
  /** What the current run of failures is: 'unreachable', or an error's first line; null while the task works. */
  private failing: string | null = null;
  private since = 0;

  /** `hosts`: the database's host names (databaseHosts), whose DNS failures are the database out of reach too. */
  constructor(
    private readonly logger: Log,
    private readonly task: string,
    private readonly level: 'error' | 'warn' = 'error',
    private readonly hosts: ReadonlySet<string> = new Set(),
  ) {}

  failed(error: unknown): void {
    const unreachable = databaseUnreachable(error, this.hosts);
    const summary = errorSummary(error);
    const kind = unreachable ? 'unreachable' : summary.error;
    if (this.failing === null) this.since = Date.now();
    if (kind === this.failing) return;
    this.failing = kind;
    if (unreachable) this.logger[this.level]({ task: this.task, ...summary }, `${this.task}: the database cannot be reached; retrying, logged again once it works`);
    else this.logger[this.level]({ task: this.task, err: error }, `${this.task} failed; retrying, logged again once it works or fails otherwise`);
  }

  succeeded(): void {
    if (this.failing === null) return;
    this.logger.info({ task: this.task, failingMs: Date.now() - this.since }, `${this.task} works again`);
    this.failing = null;
  }
}
