/**
 * Start-up time of `npm start` (src/main.ts) to the first 200 from /ready:
 * cold (empty DATA_DIR: initdb, migrations, first-start demo load) and warm
 * (the same data again). Baseline in the same run: starting the same Node +
 * tsx toolchain on an empty script, so the ratio shows the hub's own cost.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');


function timeProcess(args: string[], env: Record<string, string>, readyLine?: RegExp): Promise<{ ms: number; stop: () => Promise<void> }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const stop = () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('close', () => done());
        child.kill('SIGTERM');
      });
    child.on('close', (code) => {
      if (!readyLine) resolve({ ms: performance.now() - started, stop });
      else reject(new Error(`exited ${code} before ready: ${output.slice(-1000)}`));
    });
    if (!readyLine) return;
    child.stdout.on('data', async (d: Buffer) => {
      output += d;
      const match = output.match(readyLine);
      if (!match) return;
      child.stdout.removeAllListeners('data');
      child.removeAllListeners('close');
      const base = match[1]!;
      for (;;) {
        const ok = await fetch(`${base}/ready`).then((r) => r.status === 200, () => false);
        if (ok) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      resolve({ ms: performance.now() - started, stop });
    });
    child.stderr.on('data', (d: Buffer) => (output += d));
  });
}

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hub-bench-start-'));
const env = { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn' };
const ready = /ready at (http:\/\/\S+) /;
try {
  const baseline = await timeProcess(['-e', '0'], {});
  const cold = await timeProcess([path.join(ROOT, 'src/main.ts')], env, ready);
  await cold.stop();
  const warm = await timeProcess([path.join(ROOT, 'src/main.ts')], env, ready);
  await warm.stop();
  const s = (ms: number) => (ms / 1000).toFixed(1);
  console.log('| start | time to /ready 200 | × empty tsx process |');
  console.log('|---|---|---|');
  console.log(`| empty tsx process (baseline) | ${s(baseline.ms)} s | 1.0 |`);
  console.log(`| cold (empty DATA_DIR) | ${s(cold.ms)} s | ${(cold.ms / baseline.ms).toFixed(1)} |`);
  console.log(`| warm (existing data) | ${s(warm.ms)} s | ${(warm.ms / baseline.ms).toFixed(1)} |`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
