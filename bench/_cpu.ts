/** CPU time of the benchmarked processes, from /proc (Linux only). */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** CPU seconds used so far by the PostgreSQL cluster of `dataDir`: its postmaster and every backend. */
export function clusterCpu(dataDir: string): number {
  const postmaster = readFileSync(path.join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]!.trim();
  let ticks = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the command name (which may hold spaces): state ppid ... utime stime cutime cstime (fields 14 to 17).
    // The postmaster's cutime and cstime hold the backends that have exited (e.g. a pool closing idle connections).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    if (pid === postmaster) ticks += fields[11]! + fields[12]! + fields[13]! + fields[14]!;
    else if (String(fields[1]) === postmaster) ticks += fields[11]! + fields[12]!;
  }
  return ticks / 100;
}

/**
 * The machine's CPU time so far, all CPUs, in ticks: total and stolen (time
 * a virtual CPU was ready to run while the host ran something else). Their
 * ratio over a run tells a run slowed by a busy host from one that was not.
 */
export function machineCpu(): { total: number; steal: number } {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user and nice).
  return { total: fields.slice(0, 8).reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 };
}
