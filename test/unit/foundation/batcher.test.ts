import { describe, expect, it } from 'vitest';
import { Batcher, type BatchLimits, type Job } from '../../../src/db/batcher.js';

/** A batcher whose batches finish when the test says, recording what each held. */
function controlled(limits: BatchLimits) {
  const batches: { inputs: number[]; finish: () => void }[] = [];
  const batcher = new Batcher<number, number>((jobs: Job<number, number>[]) => new Promise<void>((done) => {
    batches.push({
      inputs: jobs.map((j) => j.input),
      finish: () => {
        for (const job of jobs) job.resolve(job.input * 10);
        done();
      },
    });
  }), limits);
  return { batcher, batches };
}

/** Lets setImmediate (the batcher's gathering turn) and the promise callbacks after it run. */
const turn = () => new Promise<void>((resolve) => setTimeout(resolve, 5));

describe('Batcher', () => {
  it('starts a further batch at once while one runs, when it need not gather', async () => {
    const { batcher, batches } = controlled({ concurrency: 2, maxBatch: 16 });
    const first = batcher.submit(1);
    await turn();
    const second = batcher.submit(2);
    await turn();
    expect(batches.map((b) => b.inputs)).toEqual([[1], [2]]);
    batches.forEach((b) => b.finish());
    expect(await Promise.all([first, second])).toEqual([10, 20]);
  });

  it('while a batch runs, starts another only once `gather` wait; with none running, what waits goes at once', async () => {
    const { batcher, batches } = controlled({ concurrency: 2, maxBatch: 16, gather: 3 });
    const answers = [batcher.submit(1)];
    await turn();
    answers.push(batcher.submit(2), batcher.submit(3));
    await turn();
    // Two wait, fewer than three: they wait for the running batch.
    expect(batches.map((b) => b.inputs)).toEqual([[1]]);
    answers.push(batcher.submit(4));
    await turn();
    expect(batches.map((b) => b.inputs)).toEqual([[1], [2, 3, 4]]);
    answers.push(batcher.submit(5));
    await turn();
    expect(batches).toHaveLength(2);
    batches[0]!.finish();
    await turn();
    // One batch runs (2, 3, 4) and one job waits, fewer than three: still it waits.
    expect(batches).toHaveLength(2);
    batches[1]!.finish();
    await turn();
    // Nothing runs: what waits goes at once, however little.
    expect(batches.map((b) => b.inputs)).toEqual([[1], [2, 3, 4], [5]]);
    batches[2]!.finish();
    expect(await Promise.all(answers)).toEqual([10, 20, 30, 40, 50]);
  });
});
