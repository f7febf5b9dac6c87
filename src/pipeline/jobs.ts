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
import type { CitizenSource } from '../citizens/source.js';
import { loadConfig } from '../config.js';
import { linkSourceRecords } from '../linkage/batch.js';
import { LinkedCitizenSource } from '../linkage/citizen-source.js';
import type { LinkageContext } from '../linkage/context.js';
import { londonDate } from '../policy/decide.js';
import { policyOptions, type PolicyOptions } from '../policy/options.js';
import { announceDatedChanges } from '../publish/dated-changes.js';
import { deliver } from '../publish/deliver.js';
import { DELIVER_QUEUE, publishPending, type DeliveryJob } from '../publish/fanout.js';
import { prunePublished } from '../publish/retention.js';
import type { JobDefinition } from './queue.js';

export interface PipelineDeps {
  pool: pg.Pool;
  logger: Logger;
  matcher: AddressMatcher;
  /** The linkage context with the active model; null until a model is trained. */
  linkage: () => Promise<LinkageContext | null>;
  /** Set once the queue has started; a step uses it to hand records on. */
  boss?: PgBoss;
  publish?: PublishSettings;
}

export interface PublishSettings {
  /** The purpose vocabulary and role–purpose table, as the API has them (HUB_EXTRA_PURPOSES). */
  policy?: PolicyOptions;
  /** Where event payloads are read from; the linkage tables when not given. */
  source?: CitizenSource;
  /** How long a webhook receiver has to answer (default 10 s). */
  timeoutMs?: number;
  /** Retries of a failed delivery before it is a dead letter (default 8: about 8 minutes with backoff). */
  retryLimit?: number;
  /** The first retry's delay; each later one doubles it, with jitter (default 2 s). */
  retryDelaySeconds?: number;
  clock?: () => Date;
}

export interface RecordBatch {
  ids: number[];
}

/** The steps that exist, in order. */
export const PIPELINE_STEPS = ['pipeline.match-address', 'pipeline.link-person', 'pipeline.publish'] as const;

/** Every queue `hub pipeline status` reports: the steps, and the webhook deliveries publishing queues. */
export const PIPELINE_QUEUES = [...PIPELINE_STEPS, DELIVER_QUEUE] as const;

function next(step: string): string | null {
  const i = (PIPELINE_STEPS as readonly string[]).indexOf(step);
  return PIPELINE_STEPS[i + 1] ?? null;
}

export function pipelineJobs(deps: PipelineDeps): JobDefinition[] {
  const publish = deps.publish ?? {};
  // Without the API's options, the same environment gives the same vocabulary (the hub has checked it already).
  const policy = publish.policy ?? policyOptions({ extraPurposes: loadConfig().extraPurposes });
  const source = publish.source ?? new LinkedCitizenSource(deps.pool);
  const clock = publish.clock ?? (() => new Date());
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
    {
      // Publishes every pending change, not only this batch's: steward decisions record changes outside the pipeline too.
      name: 'pipeline.publish',
      schedule: '* * * * *',
      async handler() {
        if (!deps.boss) {
          // `hub ingest --wait` has no queue to deliver through: the changes wait for a running hub.
          deps.logger.debug({ step: 'publish' }, 'no queue here: changes stay in the outbox for the hub\'s workers');
          return;
        }
        const counts = await publishPending({ pool: deps.pool, boss: deps.boss, source, options: policy, clock });
        if (counts.setAside > 0) deps.logger.warn({ step: 'publish', ...counts }, 'changes that failed alone set aside, to be tried again (hub pipeline status)');
        else deps.logger.debug({ step: 'publish', ...counts }, 'changes published');
      },
    },
    {
      // Hourly, as the London day turns at 23:00 or 00:00 UTC; a day is announced once however often this runs.
      name: 'pipeline.dated-changes',
      schedule: '7 * * * *',
      async handler() {
        const citizens = await announceDatedChanges(deps.pool, londonDate(clock()));
        deps.logger.info({ step: 'dated-changes', citizens }, 'entitlements and involvements that began or ended with the day announced');
      },
    },
    {
      name: 'pipeline.prune-published',
      schedule: '17 3 * * *',
      async handler() {
        const counts = await prunePublished(deps.pool);
        deps.logger.info({ step: 'prune-published', ...counts }, 'old published changes and finished deliveries deleted');
      },
    },
    {
      name: DELIVER_QUEUE,
      retryLimit: publish.retryLimit ?? 8,
      retryDelaySeconds: publish.retryDelaySeconds ?? 2,
      // A slow receiver must not hold up the others.
      concurrency: 4,
      async handler(data, context) {
        const options = { pool: deps.pool, timeoutMs: publish.timeoutMs ?? 10_000, clock, policy, source };
        const { deliveryId } = data as DeliveryJob;
        const result = await deliver(options, deliveryId, context);
        if (result === 'gone') deps.logger.warn({ step: 'deliver', deliveryId }, 'the receiver answered 410 (gone): a dead letter, and its subscription is paused');
        else deps.logger.debug({ step: 'deliver', result }, 'delivery done');
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
  const steps = pipelineJobs(deps).filter((job) => (PIPELINE_STEPS as readonly string[]).includes(job.name));
  for (const job of steps) await job.handler({ ids } satisfies RecordBatch, { jobId: 'inline', retryCount: 0 });
}
