/**
 * A CLI command's database: the embedded server a running hub uses (or one
 * started for the command), or DATABASE_URL; migrated (as the owner) before
 * use. Commands work on db.pool, as the application role.
 */
import { InvalidArgumentError } from 'commander';
import { loadConfig, type Config } from '../config.js';
import { openDatabase, type Database } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { errorMessage } from '../logging.js';
import { isCopyOf, type FirstSignal } from '../signals.js';
import { exitWithError } from './fail.js';

/** Registers work to do on Ctrl-C before the database closes (stopping an import, say); returns its removal. */
export type OnInterrupt = (cleanup: () => Promise<void>) => () => void;

export async function withDatabase<T>(fn: (db: Database, config: Config, onInterrupt: OnInterrupt) => Promise<T>, options: { poolSize?: number } = {}): Promise<T> {
  const config = loadConfig();
  let db: Database | null = null;
  const cleanups = new Set<() => Promise<void>>();
  let interrupted: Promise<void> | null = null;
  let first: FirstSignal | null = null;
  // Ctrl-C must not leave an embedded server this command started running. Taken before the server starts: while it
  // starts, exiting is enough, as the exit tells a server being started to stop (src/db/embedded.ts). The command's
  // cleanups run first, on an open database; then the database closes and the process exits 130.
  const interrupt = (signal: NodeJS.Signals) => {
    // A second signal ends the process at once, the embedded server told to stop all the same; kept listened to, as
    // unheard it would kill the process outright, leaving the server running. npm's copy of a terminal's Ctrl-C
    // (`npm run hub`) is not a second one: taken for one, it skipped the cleanups.
    if (first) {
      if (!isCopyOf(first, signal)) process.exit(130);
      return;
    }
    first = { signal, at: Date.now() };
    process.stderr.write('\ninterrupted\n');
    interrupted = (async () => {
      for (const cleanup of cleanups) await cleanup().catch((error: unknown) => process.stderr.write(`${errorMessage(error).split('\n')[0]}\n`));
      await db?.close();
    })().finally(() => process.exit(130));
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  try {
    db = await openDatabase(config, options);
    await migrate(db.url, { appRole: db.appRole });
    return await fn(db, config, (cleanup) => {
      cleanups.add(cleanup);
      return () => void cleanups.delete(cleanup);
    });
  } finally {
    // Interrupted, the command's end (or its failure, the pool closed under it) waits for the exit with 130.
    if (interrupted) await interrupted;
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    await db?.close();
  }
}

/** Wraps a command action so any failure ends as one line and a non-zero exit. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (error) {
      exitWithError(error);
    }
  };
}

/** A whole-number option from min to max: anything else is refused by commander, naming the option. */
export const wholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER) => (value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
  return n;
};
