/**
 * Gathers work that arrives while earlier work runs, so that it runs
 * together: at most `concurrency` batches at a time (one connection each),
 * each taking what has queued, up to `maxBatch`. When idle, work starts at
 * once, alone or with whatever arrived in the same turn of the event loop.
 */

/** One piece of work: its input, and how to answer it. */
export interface Job<I, O> {
  input: I;
  resolve(value: O): void;
  reject(error: unknown): void;
}

export interface BatchLimits {
  concurrency: number;
  maxBatch: number;
  /**
   * While a batch runs, a further one starts only once this many wait (1 when not given). Work that trickles in then
   * waits for the running batch and goes with the next, as in a group commit, and further batches run only under a
   * load that fills them.
   */
  gather?: number;
}

export class Batcher<I, O> {
  private readonly queue: Job<I, O>[] = [];
  private running = 0;
  private scheduled = false;

  /**
   * `run` answers every job of a batch; should it throw, the jobs it left
   * unanswered fail with its error.
   */
  constructor(private readonly run: (jobs: Job<I, O>[]) => Promise<void>, private readonly limits: BatchLimits) {}

  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (this.scheduled) return;
      // After the current I/O turn, so that requests read from several sockets at once leave together.
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.drain();
      });
    });
  }

  private drain(): void {
    const gather = this.limits.gather ?? 1;
    while (this.running < this.limits.concurrency && this.queue.length >= (this.running === 0 ? 1 : gather)) {
      const jobs = this.queue.splice(0, this.limits.maxBatch);
      this.running++;
      this.run(jobs)
        .catch((error: unknown) => {
          for (const job of jobs) job.reject(error);
        })
        .finally(() => {
          this.running--;
          this.drain();
        });
    }
  }
}
