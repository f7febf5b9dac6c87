import { describe, expect, it } from 'vitest';
import { Batcher, type BatchLimits, type Job } from '../../../src/db/batcher.js';

/** A batcher whose batches finish when the test says, recording what each held. */
function controlled(limits: BatchLimits) {
  const batches: { inputs: number[]; startedAt: number; finish: () => void }[] = [];
  const batcher = new Batcher<number, number>((jobs: Job<number, number>[]) => new Promise<void>((done) => {
    batches.push({
      inputs: jobs.map((j) => j.input),
      startedAt: performance.now(),
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

  it('with nothing running, lingers for company while jobs come faster than the linger, until `gather` wait or its time is up; never after a lull', async () => {
    const linger = 100;
    const { batcher, batches } = controlled({ concurrency: 1, maxBatch: 100, gather: 3, linger });
    const answers = [batcher.submit(0)];
    await turn();
    // The first job came after nothing: it starts at once.
    expect(batches.map((b) => b.inputs)).toEqual([[0]]);
    // Sixty jobs at once: their mean gap falls below the linger.
    for (let i = 1; i <= 60; i++) answers.push(batcher.submit(i));
    batches[0]!.finish();
    await turn();
    expect(batches[1]!.inputs).toHaveLength(60);
    batches[1]!.finish();
    answers.push(batcher.submit(61));
    await turn();
    // Nothing runs, but jobs come fast: it waits for company.
    expect(batches).toHaveLength(2);
    answers.push(batcher.submit(62), batcher.submit(63));
    await turn();
    expect(batches[2]!.inputs).toEqual([61, 62, 63]);
    batches[2]!.finish();
    const submitted = performance.now();
    answers.push(batcher.submit(64));
    await turn();
    expect(batches).toHaveLength(3);
    await new Promise((resolve) => setTimeout(resolve, 2 * linger));
    // No company came: it went alone once its time was up, not before.
    expect(batches[3]!.inputs).toEqual([64]);
    expect(batches[3]!.startedAt - submitted).toBeGreaterThanOrEqual(linger - 1);
    batches[3]!.finish();
    // After a lull of a second, a job starts at once.
    await new Promise((resolve) => setTimeout(resolve, 1_050));
    answers.push(batcher.submit(65));
    await turn();
    expect(batches[4]!.inputs).toEqual([65]);
    batches[4]!.finish();
    expect(await Promise.all(answers)).toEqual(Array.from({ length: 66 }, (_, i) => i * 10));
  });
});
