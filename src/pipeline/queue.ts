/**
 * pg-boss in the hub's own database. The API process runs the workers too by
 * default (HUB_WORKERS); `hub worker` runs only the workers, so API and
 * workers scale separately against one database.
 */
import pg from 'pg';
import PgBoss from 'pg-boss';
import type { Logger } from 'pino';
import { endPool, guardPool } from '../db/pool-guard.js';
import { errorMessage } from '../logging.js';

export interface JobContext {
  jobId: string;
  retryCount: number;
  /** Retries the job gets in all; retryCount reaching it means this is the last attempt. */
  retryLimit?: number;
}

export interface JobDefinition<T extends object = object> {
  name: string;
  handler(data: T, context: JobContext): Promise<void>;
  /** Jobs fetched at once by one worker; each is handled on its own. */
  batchSize?: number;
  retryLimit?: number;
  retryDelaySeconds?: number;
  /** Workers per process taking this job at once (each one job at a time). */
  concurrency?: number;
  /** Also run on this cron schedule (pg-boss: at most once a minute), for work no other job hands on. */
  schedule?: string;
}

export interface Queue {
  boss: PgBoss;
  /** Stops fetching new jobs, waits for the ones in hand, then closes. */
  stop(timeoutMs: number): Promise<void>;
}

export const deadLetterQueue = (name: string) => `${name}.dead`;

/** A job whose handler threw: pg-boss keeps the error in the job, and retries it or dead-letters it. */
export interface JobFailure {
  queue: string;
  jobId: string;
  retryCount: number;
  retryLimit: number;
}

/**
 * Writes a failed job to the hub's log, which would otherwise show nothing of
 * it until `hub pipeline status` counts a dead letter: the queue, job id,
 * attempt and error code and message, without the job's data (record ids are
 * not personal, but a handler's data may be) and with any value a data
 * exception quotes removed (errorMessage).
 */
export function logJobFailure(logger: Logger): (failure: JobFailure, error: unknown) => void {
  return (failure, error) => {
    const last = failure.retryCount >= failure.retryLimit;
    const code = (error as { code?: unknown } | null)?.code;
    logger.error({
      component: 'queue', queue: failure.queue, jobId: failure.jobId, attempt: failure.retryCount + 1, attempts: failure.retryLimit + 1,
      code: typeof code === 'string' ? code : error instanceof Error ? error.name : null, error: errorMessage(error).split('\n')[0],
    }, last ? 'job failed for the last time: dead-lettered' : 'job failed: retried after a backoff');
  };
}

export async function startQueue(
  url: string,
  options: { jobs: JobDefinition[]; workers: boolean; log: (message: string) => void; onFailure?: (failure: JobFailure, error: unknown) => void },
): Promise<Queue> {
  // pg-boss's own pool would end as pg-pool does, before its connections have closed (endPool): it queries through ours.
  const pool = guardPool(new pg.Pool({ connectionString: url, max: 4, application_name: 'pgboss' }), (error) => options.log(`queue: ${error.message}`));
  const boss = new PgBoss({ db: { executeSql: (text: string, values?: unknown[]) => pool.query(text, values) }, schema: 'pgboss' });
  boss.on('error', (error) => options.log(`queue: ${error.message}`));
  try {
    await boss.start();
  } catch (error) {
    await endPool(pool);
    throw error;
  }
  for (const job of options.jobs) {
    await boss.createQueue(deadLetterQueue(job.name));
    await boss.createQueue(job.name, {
      name: job.name,
      retryLimit: job.retryLimit ?? 5,
      retryDelay: job.retryDelaySeconds ?? 2,
      retryBackoff: true,
      deadLetter: deadLetterQueue(job.name),
    });
    if (job.schedule) await boss.schedule(job.name, job.schedule);
    if (!options.workers) continue;
    for (let i = 0; i < (job.concurrency ?? 1); i++) {
      await boss.work<object>(job.name, { batchSize: job.batchSize ?? 1, pollingIntervalSeconds: 0.5, includeMetadata: true }, async (jobs) => {
        for (const j of jobs) {
          try {
            await job.handler(j.data, { jobId: j.id, retryCount: j.retryCount, retryLimit: j.retryLimit });
          } catch (error) {
            options.onFailure?.({ queue: job.name, jobId: j.id, retryCount: j.retryCount, retryLimit: j.retryLimit }, error);
            throw error;
          }
        }
      });
    }
  }
  return {
    boss,
    async stop(timeoutMs) {
      await boss.stop({ graceful: true, wait: true, timeout: timeoutMs });
      await endPool(pool);
    },
  };
}
