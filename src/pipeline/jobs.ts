/**
 * The pipeline's jobs, in the order a record flows through them: each step
 * is its own job (retried with backoff, dead-lettered after the last retry)
 * and hands the same records to the next step when it is done. Steps are
 * idempotent: running one twice for the same records gives the same result.
 */
import type pg from 'pg';
import type { Logger } from 'pino';
import type PgBoss from 'pg-boss';
import type { AddressMatcher } from '../addresses/matcher.js';
import { matchSourceRecords } from '../addresses/records.js';
import { linkSourceRecords } from '../linkage/batch.js';
import type { LinkageContext } from '../linkage/context.js';
import type { JobDefinition } from './queue.js';

export interface PipelineDeps {
  pool: pg.Pool;
  logger: Logger;
  matcher: AddressMatcher;
  /** The linkage context with the active model; null until a model is trained. */
  linkage: () => Promise<LinkageContext | null>;
  /** Set once the queue has started; a step uses it to hand records on. */
  boss?: PgBoss;
}

export interface RecordBatch {
  ids: number[];
}

/** The steps that exist, in order. Publishing joins this list when it lands. */
export const PIPELINE_STEPS = ['pipeline.match-address', 'pipeline.link-person'] as const;

function next(step: string): string | null {
  const i = (PIPELINE_STEPS as readonly string[]).indexOf(step);
  return PIPELINE_STEPS[i + 1] ?? null;
}

export function pipelineJobs(deps: PipelineDeps): JobDefinition[] {
  const handOn = async (step: string, batch: RecordBatch) => {
    const to = next(step);
    if (to && deps.boss) await deps.boss.send(to, batch);
  };
  return [
    {
      name: 'pipeline.match-address',
      async handler(data) {
        const batch = data as RecordBatch;
        const counts = await matchSourceRecords(deps.pool, deps.matcher, batch.ids);
        deps.logger.debug({ step: 'match-address', records: batch.ids.length, ...counts }, 'addresses matched');
        await handOn('pipeline.match-address', batch);
      },
    },
    {
      name: 'pipeline.link-person',
      async handler(data) {
        const batch = data as RecordBatch;
        const linkage = await deps.linkage();
        if (!linkage) {
          // Nothing is lost: `hub linkage run` links every record not yet linked once a model exists.
          deps.logger.warn({ step: 'link-person', records: batch.ids.length }, 'no person model yet: records wait for `hub linkage train` and `hub linkage run`');
        } else {
          const counts = await linkSourceRecords(linkage, batch.ids);
          deps.logger.debug({ step: 'link-person', ...counts }, 'people linked');
        }
        await handOn('pipeline.link-person', batch);
      },
    },
  ];
}

/** Hands newly stored source records to the first step; given the storing transaction's connection, the job commits with the records. */
export async function startPipeline(boss: PgBoss, ids: number[], db?: pg.PoolClient): Promise<string | null> {
  if (ids.length === 0) return null;
  const options = db ? { db: { executeSql: (text: string, values: unknown[]) => db.query(text, values) } } : {};
  return boss.send(PIPELINE_STEPS[0], { ids } satisfies RecordBatch, options);
}

/** Runs every step for the records in this process, in order (`hub ingest --wait`). */
export async function runPipelineHere(deps: Omit<PipelineDeps, 'boss'>, ids: number[]): Promise<void> {
  if (ids.length === 0) return;
  for (const job of pipelineJobs(deps)) await job.handler({ ids } satisfies RecordBatch, { jobId: 'inline', retryCount: 0 });
}
