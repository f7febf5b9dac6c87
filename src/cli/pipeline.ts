/** `hub pipeline status`: jobs per pipeline step and state, dead letters, and webhook deliveries per subscription; `hub pipeline redeliver`: a subscription's dead letters again. */
import { Command } from 'commander';
import { AddressMatcher } from '../addresses/matcher.js';
import { linkageForWorker } from '../linkage/context.js';
import { LinkedCitizenSource } from '../linkage/citizen-source.js';
import { createLogger } from '../logging.js';
import { PIPELINE_QUEUES, pipelineJobs } from '../pipeline/jobs.js';
import { deadLetterQueue, startQueue } from '../pipeline/queue.js';
import { policyOptions } from '../policy/options.js';
import { redeliverDead } from '../publish/fanout.js';
import { pipelineStatus, publishingStatus } from '../pipeline/status.js';
import { action, withDatabase } from './context.js';

export function pipelineCommand(): Command {
  const pipeline = new Command('pipeline').description('the intake pipeline (address matching, linking, publishing)');
  pipeline
    .command('status')
    .description('jobs per step and state; dead letters are jobs that failed every retry; deliveries per subscription')
    .action(action(async () => {
      await withDatabase(async (db) => {
        const [{ states, failures }, publishing] = await Promise.all([pipelineStatus(db.pool), publishingStatus(db.pool)]);
        const count = (queue: string, state: string) => states.filter((s) => s.queue === queue && s.state === state).reduce((n, s) => n + s.jobs, 0);
        const lines = ['step\tqueued\tretrying\tactive\tcompleted\tfailed\tdead letters'];
        for (const step of PIPELINE_QUEUES) {
          const dead = states.filter((s) => s.queue === deadLetterQueue(step)).reduce((n, s) => n + s.jobs, 0);
          lines.push([step, count(step, 'created'), count(step, 'retry'), count(step, 'active'), count(step, 'completed'), count(step, 'failed'), dead].join('\t'));
        }
        for (const f of failures) lines.push(`failed in ${f.queue} (${f.jobs}): ${f.message ?? 'no message'}`);
        lines.push('', `changes waiting to be published: ${publishing.pendingChanges}`);
        if (publishing.setAsideChanges > 0) {
          lines.push(`of which set aside after failing alone, tried again later: ${publishing.setAsideChanges} (last error: ${publishing.lastSetAsideError ?? 'none'})`);
        }
        if (publishing.subscriptions.length > 0) {
          lines.push('subscription\torganisation\tactive\tpending\tdelivered\tdead letters\tlast error');
          for (const s of publishing.subscriptions) {
            lines.push([s.subscriptionId, s.orgName, s.active ? 'yes' : 'no', s.pending, s.delivered, s.dead, s.lastError ?? ''].join('\t'));
          }
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      });
    }));
  pipeline
    .command('redeliver')
    .description("send a subscription's dead letters again (after its receiver is fixed): each decided afresh by the policy as it stands, audited, and queued for the hub's workers")
    .argument('<subscription>', 'subscription id (hub pipeline status lists them)')
    .action(action(async (subscription: string) => {
      const id = Number(subscription);
      if (!Number.isSafeInteger(id) || id <= 0) throw new Error(`subscription must be a positive whole number, not "${subscription}"`);
      await withDatabase(async (db, config) => {
        const logger = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
        const deps = { pool: db.pool, logger, matcher: new AddressMatcher(db.pool, config.addressParser), linkage: linkageForWorker(db.pool, config.nicknamesFile) };
        const queue = await startQueue(db.url, { jobs: pipelineJobs(deps), workers: false, log: (m) => logger.warn(m) });
        try {
          const options = policyOptions({ extraPurposes: config.extraPurposes });
          const done = await redeliverDead({ pool: db.pool, boss: queue.boss, source: new LinkedCitizenSource(db.pool), options, clock: () => new Date() }, id);
          process.stdout.write(`subscription ${id}: ${done.requeued} dead letters queued again, ${done.cancelled} cancelled (nothing of the citizen may be sent now)\n`);
        } finally {
          await queue.stop(config.shutdownTimeoutMs);
        }
      });
    }));
  return pipeline;
}
