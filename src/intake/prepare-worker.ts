/**
 * The worker thread of a file intake (see prepareFileInWorker): says it is
 * ready once its code is loaded, then prepares the file after the read
 * records the main thread did, posting one batch for each 'more' the main
 * thread sends, so that it never runs further ahead than the main thread allows.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { prepareFile, type PrepareCommand, type PrepareJob, type PrepareMessage } from './ingest-file.js';

const port = parentPort!;
// A batch's rows are handed over, not copied: their buffer is the batch's own (see ItemPreparer.take).
const post = (message: PrepareMessage): void => port.postMessage(message, 'rows' in message ? [message.rows.buffer as ArrayBuffer] : []);
let credit = 0;
let wake: (() => void) | null = null;

async function prepare(skip: number): Promise<void> {
  try {
    for await (const batch of prepareFile(workerData as PrepareJob, undefined, skip)) {
      while (credit === 0) await new Promise<void>((resolve) => (wake = resolve));
      credit--;
      post(batch);
    }
    post({ done: true });
  } catch (error) {
    post({ error: error instanceof Error ? error.message : String(error) });
  }
}

port.on('message', (command: PrepareCommand) => {
  if (command === 'more') {
    credit++;
    wake?.();
    wake = null;
  } else void prepare(command.skip);
});
post({ ready: true });
