/** What the pipeline's queues hold, per step and state, dead letters included (`hub pipeline status`). */
import type pg from 'pg';

export interface QueueState {
  queue: string;
  state: string;
  jobs: number;
}

const STATES = `
  SELECT name AS queue, state::text AS state, count(*)::int AS jobs
    FROM pgboss.job WHERE name LIKE 'pipeline.%' GROUP BY name, state ORDER BY name, state`;
const LAST_ERRORS = `
  SELECT name AS queue, output->>'message' AS message, count(*)::int AS jobs
    FROM pgboss.job WHERE name LIKE 'pipeline.%' AND state = 'failed' GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 10`;

export async function pipelineStatus(pool: pg.Pool): Promise<{ states: QueueState[]; failures: { queue: string; message: string | null; jobs: number }[] }> {
  const exists = (await pool.query<{ t: string | null }>(`SELECT to_regclass('pgboss.job')::text AS t`)).rows[0]?.t;
  if (!exists) return { states: [], failures: [] };
  const [states, failures] = await Promise.all([pool.query<QueueState>(STATES), pool.query<{ queue: string; message: string | null; jobs: number }>(LAST_ERRORS)]);
  return { states: states.rows, failures: failures.rows };
}
