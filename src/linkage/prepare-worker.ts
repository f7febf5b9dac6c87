/**
 * The worker thread of a linkage run (see ContentWorker): says it is ready
 * once its code is loaded, then prepares each batch of rows it is sent.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { DEFAULT_BLOCKING_RULES, type PrepareTables } from '../../matching/person/index.js';
import { prepareRow, type FromWorker, type ToWorker } from './content.js';

const port = parentPort!;
const { tables } = workerData as { tables: PrepareTables };
const post = (message: FromWorker): void => port.postMessage(message);

port.on('message', ({ seq, rows }: ToWorker) => {
  try {
    post({ seq, prepared: rows.map((row) => prepareRow(row, tables, DEFAULT_BLOCKING_RULES)) });
  } catch (error) {
    post({ seq, error: error instanceof Error ? error.message : String(error) });
  }
});
post({ ready: true });
