/**
 * Starting a worker thread from this project's code, whether it runs as
 * TypeScript (tsx, tests) or built JavaScript.
 */
import { Worker } from 'node:worker_threads';

/**
 * The worker whose entry is `entry` (a .ts URL beside the caller's module; its .js when built). From the TypeScript source the worker
 * registers tsx's loader itself: a worker does not inherit the main thread's. Packages named in `preload` are
 * loaded before the loader is registered: through its hooks each of their many modules costs several times as
 * much (typebox/compile alone 1.3 s instead of 0.3 s); resolved here, the worker's TypeScript finds the very same
 * modules already loaded.
 */
export function startWorker(entry: URL, workerData: unknown, preload: readonly string[]): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL(entry.href.replace(/\.ts$/, '.js')), { workerData });
  const urls = JSON.stringify(preload.map((name) => import.meta.resolve(name)));
  const code = `Promise.all(${urls}.map((url) => import(url))).then(() => import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}))`
    + `.then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, { eval: true, workerData });
}
