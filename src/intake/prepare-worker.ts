/**
 * The worker thread of a file intake (see prepareFileInWorker): prepares the
 * file's batches and posts one for each 'more' the main thread sends, so that
 * it never runs further ahead than the main thread allows.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { prepareFile, type PrepareJob, type PrepareMessage } from './ingest-file.js';

const port = parentPort!;
let credit = 0;
let wake: (() => void) | null = null;
port.on('message', () => {
  credit++;
  wake?.();
  wake = null;
});

const post = (message: PrepareMessage): void => port.postMessage(message);

try {
  for await (const batch of prepareFile(workerData as PrepareJob)) {
    while (credit === 0) await new Promise<void>((resolve) => (wake = resolve));
    credit--;
    post(batch);
  }
  post({ done: true });
} catch (error) {
  post({ error: error instanceof Error ? error.message : String(error) });
}
