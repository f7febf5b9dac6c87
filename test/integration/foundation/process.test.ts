import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, exited, run, start, startUntil } from '../../support/process.js';

const dataDir = mkdtempSync(path.join(ROOT, '.data', 'proc-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** Processes whose command line names `dir`. */
function processesFor(dir: string): number {
  return execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').filter((line) => line.includes(dir)).length;
}

function postgresProcessesFor(dir: string): number {
  const out = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
  return out.split('\n').filter((line) => line.includes('postgres') && line.includes(dir)).length;
}

/** A PostgreSQL told to stop as its owner exits finishes shortly after: the count once it has had the time. */
async function postgresProcessesLeftFor(dir: string): Promise<number> {
  for (let i = 0; i < 50 && postgresProcessesFor(dir) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 200));
  return postgresProcessesFor(dir);
}

describe('starting and stopping the hub', () => {
  it('fails fast with one line naming DATABASE_URL when it is unreachable', async () => {
    const started = Date.now();
    const result = await run('src/main.ts', [], { DATABASE_URL: 'postgres://hub:secret@127.0.0.1:1/hub', LOG_LEVEL: 'silent' });
    expect(result.code).not.toBe(0);
    const lines = result.stderr.trim().split('\n').filter((l) => !l.startsWith('npm warn'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/DATABASE_URL/);
    expect(lines[0]).not.toContain('secret');
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('refuses a NICKNAMES_FILE it cannot read with one line naming the variable and exit code 2', async () => {
    const result = await run('src/main.ts', [], { NICKNAMES_FILE: '/nonexistent', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n').filter((l) => !l.startsWith('npm warn'))).toEqual([
      'citizen hub: configuration error: NICKNAMES_FILE: cannot read /nonexistent: no such file',
    ]);
  });

  it('refuses an unknown LOG_LEVEL with one line and exit code 2', async () => {
    const result = await run('src/main.ts', [], { LOG_LEVEL: 'chatty', DATA_DIR: dataDir });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n').filter((l) => !l.startsWith('npm warn'))).toEqual([
      'citizen hub: configuration error: LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "chatty")',
    ]);
  });

  it('names PORT when the port is taken, and HOST when the address is not this machine\'s, leaving no PostgreSQL behind', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = String((taken.address() as net.AddressInfo).port);
    const dir = path.join(dataDir, 'listen');
    try {
      const cases: [Record<string, string>, RegExp][] = [
        [{ PORT: port }, new RegExp(`^citizen hub: configuration error: PORT: ${port} is in use on 127\\.0\\.0\\.1`)],
        [{ HOST: '192.0.2.1', PORT: '0' }, /^citizen hub: configuration error: HOST: /],
      ];
      for (const [env, expected] of cases) {
        const result = await run('src/main.ts', [], { DATA_DIR: dir, LOG_LEVEL: 'silent', HUB_DEMO: 'false', ...env });
        expect(result.code).toBe(2);
        const lines = result.stderr.trim().split('\n').filter((l) => !l.startsWith('npm warn'));
        expect(lines).toHaveLength(1);
        expect(lines[0]).toMatch(expected);
        expect(postgresProcessesFor(dir)).toBe(0);
      }
    } finally {
      taken.close();
    }
  });

  it('stops the embedded PostgreSQL when a signal arrives during start-up, and when shutdown outlasts its grace period', async () => {
    const dir = path.join(dataDir, 'signals');
    const env = { DATA_DIR: dir, PORT: '0', HUB_DEMO: 'false', SHUTDOWN_TIMEOUT_MS: '500' };
    // The server's own log says when it is up; the migrations are still to run.
    const starting = await startUntil('src/main.ts', { ...env, LOG_LEVEL: 'debug' }, /database system is ready to accept connections/);
    expect(postgresProcessesFor(dir)).toBeGreaterThan(0);
    starting.child.kill('SIGINT');
    expect(await exited(starting.child)).toBe(130);
    expect(starting.output()).not.toContain('ready at');
    expect(await postgresProcessesLeftFor(dir)).toBe(0);

    const hub = await startUntil('src/main.ts', { ...env, LOG_LEVEL: 'warn' }, /ready at (http:\/\/\S+) /);
    const url = new URL(hub.match[1]!);
    // A request whose headers never end keeps the API from closing, so the grace period runs out.
    const socket = net.connect(Number(url.port), url.hostname);
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.on('connect', resolve));
    socket.write('GET /health HTTP/1.1\r\nHost: x\r\n');
    hub.child.kill('SIGTERM');
    try {
      expect(await exited(hub.child)).toBe(1);
    } finally {
      socket.destroy();
    }
    expect(hub.output()).toMatch(/killed by timeout/);
    expect(await postgresProcessesLeftFor(dir)).toBe(0);
  }, 120_000);

  it('lets a request in flight finish when Ctrl-C signals the whole process group, as a terminal does', async () => {
    const dir = path.join(dataDir, 'group-signal');
    const env = { DATA_DIR: dir, PORT: '0', HUB_DEMO: 'false', LOG_LEVEL: 'warn' };
    const hub = await startUntil('src/main.ts', env, /ready at (http:\/\/\S+) /, 120_000, { group: true });
    const url = new URL(hub.match[1]!);
    const created = await run('src/cli/main.ts', ['clients', 'create', '--org', 'Group Signal', '--role', 'dpo'], env);
    const key = created.stdout.trim();
    const body = JSON.stringify({ name: 'Group Signal Partner', kind: 'other' });
    const socket = net.connect(Number(url.port), url.hostname);
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d));
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.on('connect', resolve));
    // In flight when the signal comes (its headers taken, its body still arriving), it reaches the database only once
    // a PostgreSQL that heard the signal too would be down.
    socket.write(`POST /v1/register/organisations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body.slice(0, 10)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
    process.kill(-hub.child.pid!, 'SIGINT');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    socket.write(body.slice(10));
    await new Promise((resolve) => socket.on('close', resolve));
    expect(answer).toMatch(/^HTTP\/1\.1 201 /);
    expect(await exited(hub.child)).toBe(0);
    expect(hub.output()).not.toMatch(/administrator command|cannot be reached/);
    expect(await postgresProcessesLeftFor(dir)).toBe(0);
  }, 120_000);

  it('stops cleanly under `npm start` when npm alone, or its whole process group, gets SIGINT', async () => {
    const dir = path.join(dataDir, 'npm-start');
    // npm's copy of a group's signal comes on the heels of the hub's own or not, as it happens: a few tries catch it.
    for (const target of ['npm', 'group', 'group', 'group'] as const) {
      // Its own process group, as a terminal gives a foreground job: a group signal reaches npm and the hub alike.
      const npm = spawn('npm', ['start'], { cwd: ROOT, detached: true, env: { ...process.env, DATA_DIR: dir, PORT: '0', LOG_LEVEL: 'warn', HUB_DEMO: 'false' } });
      let output = '';
      npm.stdout.on('data', (d: Buffer) => (output += d));
      npm.stderr.on('data', (d: Buffer) => (output += d));
      const code = exited(npm);
      for (let i = 0; i < 600 && !output.includes('ready at') && npm.exitCode === null; i++) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(output).toContain('ready at');
      // Idle, as a hub an operator stops usually is.
      await new Promise((resolve) => setTimeout(resolve, 1000));
      process.kill(target === 'npm' ? npm.pid! : -npm.pid!, 'SIGINT');
      const stopped = await Promise.race([code, new Promise((resolve) => setTimeout(() => resolve('still running'), 20_000))]);
      // Not stopped: the group's SIGTERM reaches the hub itself, which stops its PostgreSQL (a SIGKILL would orphan it).
      if (stopped === 'still running') {
        process.kill(-npm.pid!, 'SIGTERM');
        await code;
      }
      expect([target, stopped]).toEqual([target, 0]);
      // Gracefully: npm's forwarded copy of a group's signal is not a second one, forcing the hub down.
      expect(output).not.toMatch(/second SIGINT|forced/);
      expect(await postgresProcessesLeftFor(dir)).toBe(0);
    }
  }, 120_000);

  it('starts after a first start that was stopped while it built the database cluster', async () => {
    const dir = path.join(dataDir, 'first-start');
    const env = { DATA_DIR: dir, PORT: '0', LOG_LEVEL: 'warn', HUB_DEMO: 'false' };
    const first = start('src/main.ts', [], env);
    const building = path.join(dir, 'pg.init');
    try {
      for (let i = 0; i < 600 && !existsSync(path.join(building, 'PG_VERSION')) && first.exitCode === null; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(existsSync(path.join(building, 'PG_VERSION'))).toBe(true);
    } finally {
      first.kill('SIGKILL');
      await exited(first);
    }
    // The cluster is not in place until it is whole; initdb, left without its parent, finishes or fails on its own.
    expect(existsSync(path.join(dir, 'pg'))).toBe(false);
    for (let i = 0; i < 300 && processesFor(building) > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    const hub = await startUntil('src/main.ts', env, /ready at (http:\/\/\S+) /);
    expect((await fetch(`${hub.match[1]}/ready`)).status).toBe(200);
    hub.child.kill('SIGTERM');
    expect(await exited(hub.child)).toBe(0);
    expect(existsSync(building)).toBe(false);
  }, 120_000);

  it('stops the embedded PostgreSQL a CLI command was starting when Ctrl-C arrives', async () => {
    const dir = path.join(dataDir, 'cli-signal');
    const command = start('src/cli/main.ts', ['clients', 'list'], { DATA_DIR: dir, LOG_LEVEL: 'warn' });
    let stderr = '';
    command.stderr.on('data', (d: Buffer) => (stderr += d));
    // Interrupted as soon as its server runs: before the command has migrated, let alone listed.
    for (let i = 0; i < 600 && postgresProcessesFor(dir) === 0 && command.exitCode === null; i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(postgresProcessesFor(dir)).toBeGreaterThan(0);
    command.kill('SIGINT');
    expect(await exited(command)).toBe(130);
    expect(stderr).toContain('interrupted');
    expect(await postgresProcessesLeftFor(dir)).toBe(0);
  }, 120_000);

  it('runs on the embedded database, shares it with CLI commands, and stops leaving no PostgreSQL behind', async () => {
    const env = { DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'warn', HUB_DEMO: 'false' };
    const hub = await startUntil('src/main.ts', env, /ready at (http:\/\/\S+) /);
    const base = hub.match[1]!;
    try {
      expect((await fetch(`${base}/ready`)).status).toBe(200);
      expect(postgresProcessesFor(dataDir)).toBeGreaterThan(0);
      // A CLI command while the hub runs uses the hub's server, not a second one.
      const created = await run('src/cli/main.ts', ['clients', 'create', '--org', 'Process Test', '--role', 'adviser'], env);
      expect(created.code).toBe(0);
      const key = created.stdout.trim();
      const me = await fetch(`${base}/v1/me`, { headers: { authorization: `Bearer ${key}` } });
      expect(me.status).toBe(200);
    } finally {
      hub.child.kill('SIGTERM');
    }
    expect(await exited(hub.child)).toBe(0);
    expect(postgresProcessesFor(dataDir)).toBe(0);

    // The data survives: a CLI command on its own starts the server, finds the client, and stops it again.
    const listed = await run('src/cli/main.ts', ['clients', 'list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toContain('Process Test');
    expect(postgresProcessesFor(dataDir)).toBe(0);

    // The council's roles are for council organisations: no admin key for a partner, whose kind must be the one registered.
    const partner = await run('src/cli/main.ts', ['clients', 'create', '--org', 'Process Police', '--org-kind', 'police', '--role', 'partner'], env);
    expect([partner.code, partner.stderr]).toEqual([0, expect.stringContaining('for Process Police (police) with role partner')]);
    const admin = await run('src/cli/main.ts', ['clients', 'create', '--org', 'Process Police', '--role', 'admin'], env);
    expect([admin.code, admin.stdout]).toEqual([1, '']);
    expect(admin.stderr).toContain('role admin acts for the council: its organisation must be of kind council-service, not police');
  });

  it('loads the demo council on the first start only, and finishes one a Ctrl-C stopped half way', async () => {
    const demoDir = path.join(dataDir, 'demo');
    const env = { DATA_DIR: demoDir, PORT: '0', LOG_LEVEL: 'info' };
    // Stopped once its gazetteer is in: the residents' extracts are being taken in.
    const stopped = await startUntil('src/main.ts', env, /demo gazetteer loaded/, 200_000);
    stopped.child.kill('SIGINT');
    expect(await exited(stopped.child)).toBe(130);
    expect(stopped.output()).not.toContain('demo council loaded');

    const first = await startUntil('src/main.ts', env, /ready at (http:\/\/\S+) /, 200_000);
    try {
      expect(first.output()).toContain('finishing the demo council');
      expect(first.output()).not.toContain('demo gazetteer loaded');
      // The residents' extracts were taken in, matched and linked.
      expect(first.output()).toMatch(/"records":[1-9]\d{3}.*"citizens":[1-9]\d{2}/);
      const created = await run('src/cli/main.ts', ['clients', 'create', '--org', 'Demo Test', '--role', 'adviser'], env);
      const key = created.stdout.trim();
      const found = await fetch(`${first.match[1]}/v1/addresses?q=high+street&limit=5`, { headers: { authorization: `Bearer ${key}` } });
      expect(((await found.json()) as { results: unknown[] }).results).toHaveLength(5);
    } finally {
      first.child.kill('SIGTERM');
    }
    expect(await exited(first.child)).toBe(0);
    const second = await startUntil('src/main.ts', env, /ready at (http:\/\/\S+) /);
    expect((await fetch(`${second.match[1]}/ready`)).status).toBe(200);
    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toBe(0);
    expect(second.output()).not.toMatch(/loading the demo council|finishing the demo council/);
  }, 400_000);
});
