import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../support/process.js';
import { createRegisterHub, person, type RegisterHub } from '../citizens/support.js';

/** Each test runs the hub command, a process of its own: seconds each on a busy machine. */
const CLI_TIMEOUT = 180_000;

/** The DPO finds a client's entries by what `hub clients` shows: its client id, or its key id. */
describe('hub clients list and create show the ids the audit filters take', () => {
  let hub: RegisterHub;
  let dpo: string;
  const env = () => ({ DATABASE_URL: hub.db.url, LOG_LEVEL: 'warn' });
  const hubCli = (args: string[]) => run('src/cli/main.ts', args, env());
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  let created: { key: string; keyId: string; clientId: number; orgId: number };

  beforeAll(async () => {
    hub = await createRegisterHub();
    hub.source.add(person('C1', 'ALPHA'));
    dpo = (await hub.key('dpo', 'Information Governance')).key;
  });
  afterAll(async () => hub.close());

  it('hub clients create prints the client id and the organisation id', async () => {
    const result = await hubCli(['clients', 'create', '--org', 'Northby Police', '--org-kind', 'police', '--role', 'partner']);
    expect(result.code).toBe(0);
    const said = /^created client ([0-9a-f]{16}) \(client id (\d+)\) for Northby Police \(police\) with role partner \(organisation id (\d+)\)/.exec(result.stderr);
    expect(said).not.toBeNull();
    const key = result.stdout.trim();
    created = { key, keyId: said![1]!, clientId: Number(said![2]), orgId: Number(said![3]) };
    const { rows } = await hub.db.pool.query<{ id: string; org_id: string }>('SELECT id, org_id FROM api_client WHERE key_id = $1', [created.keyId]);
    expect(rows.map((r) => [Number(r.id), Number(r.org_id)])).toEqual([[created.clientId, created.orgId]]);
    expect(key.startsWith(`chub_${created.keyId}_`)).toBe(true);
  }, CLI_TIMEOUT);

  it('hub clients list names each client by key id, client id, and organisation id and name', async () => {
    const result = await hubCli(['clients', 'list']);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n').filter(Boolean).map((line) => line.split('\t'));
    expect(lines[0]).toEqual(['key id', 'client id', 'org id', 'organisation', 'role', 'systems', 'status', 'label']);
    expect(lines).toContainEqual([created.keyId, String(created.clientId), String(created.orgId), 'Northby Police', 'partner', '-', 'active', '']);
  }, CLI_TIMEOUT);

  it('GET /v1/audit/disclosures?client= and hub audit disclosures --client take the client id or the key id', async () => {
    // The partner's read of someone it may not see: a denial recorded under its client.
    const read = await hub.app.inject({ url: '/v1/citizens/C1', headers: { ...auth(created.key), 'x-purpose': 'safeguarding' } });
    expect(read.statusCode).toBe(404);
    const listed = async (client: string) => {
      const response = await hub.app.inject({ url: `/v1/audit/disclosures?client=${client}`, headers: auth(dpo) });
      expect([client, response.statusCode]).toEqual([client, 200]);
      return (response.json() as { entries: { seq: number; clientId: number }[] }).entries;
    };
    const byId = await listed(String(created.clientId));
    expect(byId.length).toBeGreaterThan(0);
    expect(byId.every((e) => e.clientId === created.clientId)).toBe(true);
    expect(await listed(created.keyId)).toEqual(byId);
    expect(await listed(created.keyId.toUpperCase())).toEqual(byId);
    const unknown = await hub.app.inject({ url: '/v1/audit/disclosures?client=0123456789abcdef', headers: auth(dpo) });
    expect([unknown.statusCode, unknown.json().code]).toEqual([404, 'not-found']);
    expect((await hub.app.inject({ url: '/v1/audit/disclosures?client=df3fb1a1', headers: auth(dpo) })).statusCode).toBe(400);

    const cli = await run('test/integration/audit/audit-cli.ts', ['audit', 'disclosures', '--client', created.keyId], env());
    expect(cli.code).toBe(0);
    expect(cli.stdout.split('\n').filter(Boolean).map((line) => JSON.parse(line) as unknown)).toEqual(byId);
    const refused = await run('test/integration/audit/audit-cli.ts', ['audit', 'disclosures', '--client', '0123456789abcdef'], env());
    expect([refused.code, refused.stderr]).toEqual([1, expect.stringContaining('no client has key id 0123456789abcdef')]);
  }, CLI_TIMEOUT);
});
