import { MISSING } from './compare.js';

/** Comparison vectors grouped by pattern: EM works on distinct patterns, weighted by how often each occurs. */
export interface PatternCounts {
  patterns: Int8Array[];
  counts: number[];
}

export function countPatterns(vectors: Iterable<Int8Array>): PatternCounts {
  const byKey = new Map<string, number>();
  const patterns: Int8Array[] = [];
  const counts: number[] = [];
  for (const vector of vectors) {
    const key = vector.join(',');
    const at = byKey.get(key);
    if (at === undefined) {
      byKey.set(key, patterns.length);
      patterns.push(vector);
      counts.push(1);
    } else {
      counts[at] = (counts[at] as number) + 1;
    }
  }
  return { patterns, counts };
}

export interface MixtureParams {
  /** Per field, per level: P(level | match). */
  m: number[][];
  /** Per field, per level: P(level | non-match). */
  u: number[][];
  /** Share of the pairs that match. */
  lambda: number;
}

export interface EmResult extends MixtureParams {
  iterations: number;
  converged: boolean;
}

/** Keeps probabilities off zero so that a level never seen still has a finite weight. */
const SMOOTHING = 1e-6;

const likelihood = (pattern: Int8Array, probs: number[][]): number => {
  let p = 1;
  for (let f = 0; f < pattern.length; f++) {
    const level = pattern[f] as number;
    if (level !== MISSING) p *= (probs[f] as number[])[level] as number;
  }
  return p;
};

function normalise(row: number[]): number[] {
  const smoothed = row.map((x) => x + SMOOTHING);
  const total = smoothed.reduce((s, x) => s + x, 0);
  return smoothed.map((x) => x / total);
}

/**
 * Expectation-maximisation for the two-class Fellegi-Sunter mixture under
 * conditional independence, on unlabelled comparison patterns. Missing
 * levels are left out of both the likelihood and the counts.
 */
export function expectationMaximisation(
  data: PatternCounts,
  start: MixtureParams,
  options: { maxIterations?: number; tolerance?: number; fixU?: boolean; priorPairs?: number } = {},
): EmResult {
  const maxIterations = options.maxIterations ?? 200;
  const tolerance = options.tolerance ?? 1e-6;
  // m is the posterior mean under a Dirichlet prior centred on the starting m, worth `priorPairs` pairs:
  // a field the candidate pairs hardly show (an identifier only one system holds) keeps the prior, not a
  // count of nearly nothing that would turn its agreement into a veto.
  const prior = start.m.map((row) => row.map((x) => x * (options.priorPairs ?? 0)));
  let { m, u, lambda } = start;
  for (let iteration = 1; iteration <= maxIterations; iteration++) {
    const mCounts = m.map((row) => row.map(() => 0));
    const uCounts = u.map((row) => row.map(() => 0));
    let matches = 0;
    let total = 0;
    data.patterns.forEach((pattern, i) => {
      const count = data.counts[i] as number;
      const pm = lambda * likelihood(pattern, m);
      const pu = (1 - lambda) * likelihood(pattern, u);
      const posterior = pm + pu === 0 ? 0 : pm / (pm + pu);
      matches += count * posterior;
      total += count;
      for (let f = 0; f < pattern.length; f++) {
        const level = pattern[f] as number;
        if (level === MISSING) continue;
        (mCounts[f] as number[])[level] = ((mCounts[f] as number[])[level] as number) + count * posterior;
        (uCounts[f] as number[])[level] = ((uCounts[f] as number[])[level] as number) + count * (1 - posterior);
      }
    });
    const next: MixtureParams = { m: mCounts.map((row, f) => normalise(row.map((x, l) => x + (prior[f] as number[])[l]!))), u: options.fixU ? u : uCounts.map(normalise), lambda: total === 0 ? lambda : matches / total };
    const change = Math.max(maxDiff(m, next.m), maxDiff(u, next.u), Math.abs(lambda - next.lambda));
    ({ m, u, lambda } = next);
    if (change < tolerance) return { m, u, lambda, iterations: iteration, converged: true };
  }
  return { m, u, lambda, iterations: maxIterations, converged: false };
}

function maxDiff(a: number[][], b: number[][]): number {
  let max = 0;
  a.forEach((row, f) => row.forEach((x, l) => (max = Math.max(max, Math.abs(x - ((b[f] as number[])[l] as number))))));
  return max;
}
