/** `hub pipeline status`: jobs per pipeline step and state, dead letters, and webhook deliveries per subscription. */
import { Command } from 'commander';
import { PIPELINE_QUEUES } from '../pipeline/jobs.js';
import { deadLetterQueue } from '../pipeline/queue.js';
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
        if (publishing.subscriptions.length > 0) {
          lines.push('subscription\torganisation\tactive\tpending\tdelivered\tdead letters\tlast error');
          for (const s of publishing.subscriptions) {
            lines.push([s.subscriptionId, s.orgName, s.active ? 'yes' : 'no', s.pending, s.delivered, s.dead, s.lastError ?? ''].join('\t'));
          }
        }
        process.stdout.write(`${lines.join('\n')}\n`);
      });
    }));
  return pipeline;
}
