/** `hub pipeline status`: jobs per pipeline step and state, and dead letters. */
import { Command } from 'commander';
import { PIPELINE_STEPS } from '../pipeline/jobs.js';
import { deadLetterQueue } from '../pipeline/queue.js';
import { pipelineStatus } from '../pipeline/status.js';
import { action, withDatabase } from './context.js';

export function pipelineCommand(): Command {
  const pipeline = new Command('pipeline').description('the intake pipeline (address matching, linking, publishing)');
  pipeline
    .command('status')
    .description('jobs per step and state; dead letters are jobs that failed every retry')
    .action(action(async () => {
      await withDatabase(async (db) => {
        const { states, failures } = await pipelineStatus(db.pool);
        const count = (queue: string, state: string) => states.filter((s) => s.queue === queue && s.state === state).reduce((n, s) => n + s.jobs, 0);
        const lines = ['step\tqueued\tretrying\tactive\tcompleted\tfailed\tdead letters'];
        for (const step of PIPELINE_STEPS) {
          const dead = states.filter((s) => s.queue === deadLetterQueue(step)).reduce((n, s) => n + s.jobs, 0);
          lines.push([step, count(step, 'created'), count(step, 'retry'), count(step, 'active'), count(step, 'completed'), count(step, 'failed'), dead].join('\t'));
        }
        for (const f of failures) lines.push(`failed in ${f.queue} (${f.jobs}): ${f.message ?? 'no message'}`);
        process.stdout.write(`${lines.join('\n')}\n`);
      });
    }));
  return pipeline;
}
