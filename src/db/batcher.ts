/**
 * Gathers work that arrives while earlier work runs, so that it runs
 * together: at most `concurrency` batches at a time (one connection each),
 * each taking what has queued, up to `maxBatch`. When idle, work starts at
 * once, alone or with whatever arrived in the same turn of the event loop,
 * unless work has lately come faster than `linger` and it may wait for more.
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
  /**
   * Milliseconds the oldest waiting job may wait, with nothing running and fewer than `gather` waiting, for others to
   * go with it, as a group commit's delay: only while jobs come, on average, less than that far apart, so that under a
   * light load nothing waits for company that would not come. Absent or 0: never.
   */
  linger?: number;
}

/** A job as queued, with when it came. */
interface Queued<I, O> {
  job: Job<I, O>;
  at: number;
}

/** The weight of the newest gap between jobs in their moving average (about the last twenty gaps count). */
const GAP_WEIGHT = 0.05;
/** A gap of this many ms or more is a lull: the average starts again from it, and the next job does not linger. */
const LULL = 1000;

export class Batcher<I, O> {
  private readonly queue: Queued<I, O>[] = [];
  private running = 0;
  private scheduled = false;
  private lastArrival = Number.NEGATIVE_INFINITY;
  private meanGap = LULL;
  private timer: NodeJS.Timeout | undefined;

  /**
   * `run` answers every job of a batch; should it throw, the jobs it left
   * unanswered fail with its error.
   */
  constructor(private readonly run: (jobs: Job<I, O>[]) => Promise<void>, private readonly limits: BatchLimits) {}

  submit(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const at = performance.now();
      const gap = at - this.lastArrival;
      this.meanGap = gap >= LULL ? LULL : this.meanGap + GAP_WEIGHT * (gap - this.meanGap);
      this.lastArrival = at;
      this.queue.push({ job: { input, resolve, reject }, at });
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
      if (this.running === 0 && this.queue.length < gather && this.lingering()) return;
      clearTimeout(this.timer);
      this.timer = undefined;
      const jobs = this.queue.splice(0, this.limits.maxBatch).map((q) => q.job);
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

  /** Whether the oldest waiting job waits on for company; if so, drain runs again when its time is up. */
  private lingering(): boolean {
    const linger = this.limits.linger ?? 0;
    const wait = this.queue[0]!.at + linger - performance.now();
    if (this.meanGap >= linger || wait <= 0) return false;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.drain();
    }, wait);
    return true;
  }
}
