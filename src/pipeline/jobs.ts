/** The pipeline's jobs, in the order a record flows through them. */
import type pg from 'pg';
import type { Logger } from 'pino';
import type { JobDefinition } from './queue.js';

export interface PipelineDeps {
  pool: pg.Pool;
  logger: Logger;
}

export function pipelineJobs(_deps: PipelineDeps): JobDefinition[] {
  return [];
}
