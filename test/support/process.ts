/** Running the real `hub` entry points as child processes. */
import { spawn, type ChildProcess, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
// Node with the tsx loader in-process: no wrapper process relaying (and racing) signals.
const NODE = [process.execPath, '--import', 'tsx'] as const;

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function run(script: string, args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE[0], [...NODE.slice(1), path.join(ROOT, script), ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} ${args.join(' ')} did not finish in ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Starts an entry point with its arguments, its output left to the caller.
 * `group`: in a process group of its own, to be signalled as a terminal's
 * Ctrl-C signals its foreground group (process.kill(-pid)).
 */
export function start(script: string, args: string[], env: Record<string, string>, options: { group?: boolean } = {}): ChildProcessWithoutNullStreams {
  return spawn(NODE[0], [...NODE.slice(1), path.join(ROOT, script), ...args], { cwd: ROOT, env: { ...process.env, ...env }, detached: options.group ?? false });
}

/** Starts a long-running entry point and resolves once it prints a line matching `ready`. */
export function startUntil(script: string, env: Record<string, string>, ready: RegExp, timeoutMs = 120_000, options: { group?: boolean } = {}): Promise<{ child: ChildProcess; match: RegExpMatchArray; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = start(script, [], env, options);
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} not ready in ${timeoutMs} ms: ${output.slice(-2000)}`));
    }, timeoutMs);
    const onData = (d: Buffer) => {
      output += d;
      const match = output.match(ready);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match, output: () => output });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', (d: Buffer) => (output += d));
    child.on('close', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited (${code}) before it was ready: ${output.slice(-2000)}`));
    });
  });
}

export function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.on('close', (code) => resolve(code));
  });
}
