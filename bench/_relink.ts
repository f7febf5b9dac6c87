/** Single-record re-link latency: each record linked again (forced) in its own transaction. */
import { linkOne } from '../src/linkage/link.js';
import type { LinkageContext } from '../src/linkage/context.js';

export async function relinkLatency(ctx: LinkageContext, records: readonly { system: string; source_ref: string }[]): Promise<(p: number) => number> {
  const latencies: number[] = [];
  for (const r of records) {
    const s = performance.now();
    await linkOne(ctx, r.system, r.source_ref, { force: true });
    latencies.push(performance.now() - s);
  }
  latencies.sort((a, b) => a - b);
  return (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
}
