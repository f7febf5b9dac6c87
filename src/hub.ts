/**
 * Starting and stopping a hub process: database (embedded or DATABASE_URL),
 * migrations, first-start demo data, queue workers and the HTTP API. Schema
 * changes run as the database owner; the API and the workers as the
 * application role (src/db/roles.ts).
 */
import { constants } from 'node:os';
import closeWithGrace from 'close-with-grace';
import type { Logger } from 'pino';
import { ConfigError, type Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { migrate } from './db/migrate.js';
import { checkRole } from './db/roles.js';
import { loadDemoIfEmpty } from './demo.js';
import { interruptAbandoned } from './intake/ingest.js';
import { councilSystemsInForce } from './intake/systems.js';
import { recordSystemCategories } from './register/system-categories.js';
import { linkageForWorker } from './linkage/context.js';
import { LinkedCitizenSource } from './linkage/citizen-source.js';
import { createLogger } from './logging.js';
import { AddressMatcher } from './addresses/matcher.js';
import { pipelineJobs, startPipeline, type PipelineDeps } from './pipeline/jobs.js';
import { logJobFailure, startQueue, type Queue } from './pipeline/queue.js';
import { backgroundSealer, buildApp, type HubApp } from './server/app.js';
import { isCopyOf, type FirstSignal } from './signals.js';

export interface RunningHub {
  database: Database;
  queue: Queue;
  app: HubApp | null;
  address: string | null;
  logger: Logger;
  stop(): Promise<void>;
}

export async function startHub(config: Config, mode: { api: boolean; workers: boolean }): Promise<RunningHub> {
  const logger = createLogger(config.logLevel);
  const started = Date.now();
  // Before the database starts: a broken mapping stops the hub with MAPPING_FILES named.
  const { files: mappingFiles, categories, mappings } = await councilSystemsInForce(config.mappingFiles);
  const database = await openDatabase(config, { log: (m) => logger.debug({ component: 'postgres' }, m) });
  let queue: Queue | null = null;
  let app: HubApp | null = null;
  const queueLog = onceAMinute(logger);
  try {
    await migrate(database.url, { appRole: database.appRole });
    await warnAboutRole(database, config, logger);
    const changed = await recordSystemCategories(database.pool, categories, new Date());
    if (changed.length > 0) logger.warn({ changes: changed }, 'source systems\' data categories changed since the last start (MAPPING_FILES); recorded in the audit trail');
    // An intake whose process was killed (a crash, a reboot) would read as running forever.
    const interrupted = await interruptAbandoned(database.pool);
    if (interrupted.length > 0) logger.warn({ intakes: interrupted }, 'intakes left running by a stopped process marked interrupted; ingest those files again');
    // The demo's gazetteer import swaps schemas, so it gets the owner's URL; the rest works on the pool.
    if (config.demo && mode.api) await loadDemoIfEmpty(database.pool, database.url, logger, { nicknamesFile: config.nicknamesFile });
    const matcher = new AddressMatcher(database.pool, config.addressParser);
    const deps: PipelineDeps = { pool: database.pool, logger, matcher, linkage: linkageForWorker(database.pool, config.nicknamesFile) };
    if (database.appRole) {
      // pg-boss creates its schema and a table per queue, which the application role may not: the owner does it first.
      const setup = await startQueue(database.url, { jobs: pipelineJobs(deps), workers: false, log: queueLog });
      await setup.stop(config.shutdownTimeoutMs);
    }
    queue = await startQueue(database.appUrl, {
      jobs: pipelineJobs(deps),
      workers: mode.workers,
      log: queueLog,
      onFailure: logJobFailure(logger),
    });
    deps.boss = queue.boss;
    let address: string | null = null;
    if (mode.api) {
      const boss = queue.boss;
      app = await buildApp({ config, pool: database.pool, logger, matcher, citizens: new LinkedCitizenSource(database.pool), mappingFiles, mappings, onAccepted: async (ids, db) => void (await startPipeline(boss, ids, db)) });
      address = await listen(app, config);
      // Load the matcher's index now rather than on the first request.
      matcher.current().catch((err: unknown) => logger.warn({ err }, 'address index not loaded yet'));
    }
    // The API seals the trail (buildApp); a worker-only process seals its own event.publish entries.
    const sealer = mode.api ? null : backgroundSealer(database.pool, logger).start();
    logger.info({ url: address, workers: mode.workers, startupMs: Date.now() - started }, 'citizen hub started');
    const q = queue;
    const a = app;
    return {
      database, queue: q, app: a, address, logger,
      async stop() {
        // API first (in-flight requests finish), then the jobs in hand, then the last seal pass and the database.
        await a?.close();
        await q.stop(config.shutdownTimeoutMs);
        await sealer?.stop();
        await database.close();
      },
    };
  } catch (error) {
    await app?.close().catch(() => undefined);
    await queue?.stop(1000).catch(() => undefined);
    await database.close().catch(() => undefined);
    throw error;
  }
}

/**
 * pg-boss's errors, which come as messages: while the database is down each
 * of its connections and loops reports the same one, again and again. A
 * message is logged once a minute at most, with how often it came since.
 */
function onceAMinute(logger: Logger, quietMs = 60_000): (message: string) => void {
  const last = new Map<string, { at: number; repeats: number }>();
  return (message) => {
    const now = Date.now();
    const seen = last.get(message);
    if (seen && now - seen.at < quietMs) {
      seen.repeats++;
      return;
    }
    if (last.size >= 100) last.clear();
    last.set(message, { at: now, repeats: 0 });
    logger.warn({ component: 'queue', ...(seen?.repeats ? { repeatsNotLogged: seen.repeats } : {}) }, message);
  };
}

/** The API listening on HOST:PORT; a port or address it cannot have is a configuration error naming its variable. */
async function listen(app: HubApp, config: Config): Promise<string> {
  try {
    return await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new ConfigError('PORT', `${config.port} is in use on ${config.host}`);
    if (code === 'EACCES') throw new ConfigError('PORT', `${config.port} on ${config.host} needs privileges this process does not have`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
      throw new ConfigError('HOST', `cannot listen on ${config.host} (${code}): not an address of this machine`);
    }
    throw error;
  }
}

/** Says so at start when the hub's role could change the audit trail (never the URLs: they hold passwords). */
async function warnAboutRole(database: Database, config: Config, logger: Logger): Promise<void> {
  if (config.databaseUrl && !config.databaseAppUrl) {
    logger.warn(
      'DATABASE_APP_URL is unset: the hub works as the DATABASE_URL role, which owns the tables, so only triggers keep the audit trail append-only; '
      + 'in production set DATABASE_APP_URL to a login role that owns nothing and is no superuser (README, Configuration)',
    );
    return;
  }
  const role = await checkRole(database.pool);
  if (role.superuser || role.ownsAudit) {
    logger.warn({ role: role.role, superuser: role.superuser, ownsAuditLog: role.ownsAudit }, 'the application role could change the audit trail: use a login role that owns nothing and is no superuser');
  }
}

/**
 * Until the hub has started, SIGINT/SIGTERM end the process at once (128 +
 * the signal's number): nothing is served yet, and a graceful stop would
 * first wait for the start-up, a first start's demo load included. The
 * embedded PostgreSQL is stopped on exit all the same (src/db/embedded.ts).
 * Returns the function that removes the handlers, once stopOnSignals can take over.
 */
export function exitOnSignalsWhileStarting(): () => void {
  const exit = (signal: NodeJS.Signals) => {
    process.stderr.write(`citizen hub: ${signal} while starting; stopped\n`);
    process.exit(128 + constants.signals[signal]);
  };
  process.once('SIGINT', exit);
  process.once('SIGTERM', exit);
  return () => {
    process.off('SIGINT', exit);
    process.off('SIGTERM', exit);
  };
}

/**
 * Stop cleanly on SIGINT/SIGTERM, within the configured time; past it, or on a
 * second signal, the process is forced down.
 */
export function stopOnSignals(hub: RunningHub, config: Config): void {
  const signals = ['SIGINT', 'SIGTERM'] as const;
  // What started the stop: a signal, or none (an uncaught error).
  let first: FirstSignal | null = null;
  const grace = closeWithGrace({ delay: config.shutdownTimeoutMs, skip: [...signals] }, async ({ err }) => {
    first ??= { signal: null, at: Date.now() };
    if (err) hub.logger.error({ err }, 'stopping after an uncaught error');
    await hub.stop();
  });
  const onSignal = (signal: NodeJS.Signals) => {
    if (!first) {
      first = { signal, at: Date.now() };
      hub.logger.info({ signal }, 'stopping');
      grace.close();
    } else if (!isCopyOf(first, signal)) {
      process.stderr.write(`citizen hub: second ${signal} while stopping; forced down\n`);
      process.exit(1);
    }
  };
  for (const signal of signals) process.on(signal, onSignal);
}
