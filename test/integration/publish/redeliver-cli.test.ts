/**
 * `hub pipeline redeliver` of a subscription that does not exist used to say
 * it "is not active, or its client is revoked", sending an operator to look
 * for a subscription that was never there. It says which it is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '../../../src/auth/clients.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';
import { run } from '../../support/process.js';

describe('hub pipeline redeliver', () => {
  let db: TestDatabase;
  const env = () => ({ DATABASE_URL: db.url, LOG_LEVEL: 'warn', HUB_DEMO: 'false' });
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('says there is no such subscription, or that it is inactive, or that its client is revoked', async () => {
    const missing = await run('src/cli/main.ts', ['pipeline', 'redeliver', '999'], env());
    expect(missing.code).toBe(1);
    expect(missing.stderr).toBe('citizen hub: there is no subscription 999\n');

    const { client } = await createClient(db.pool, { org: 'Partner', role: 'partner' });
    const subscribe = async (active: boolean) => (await db.pool.query<{ id: string }>(
      `INSERT INTO publish_subscription (org_id, client_id, purpose, url, secret, event_types, active)
       VALUES ($1, $2, 'contact-centre-enquiry', 'https://example.invalid/hook', 'secret', ARRAY['citizen.updated'], $3) RETURNING id`,
      [client.orgId, client.id, active])).rows[0]!.id;
    const inactive = await subscribe(false);
    const revoked = await subscribe(true);
    await db.pool.query('UPDATE api_client SET revoked_at = now() WHERE id = $1', [client.id]);
    const off = await run('src/cli/main.ts', ['pipeline', 'redeliver', inactive], env());
    expect(off).toMatchObject({ code: 1, stderr: `citizen hub: subscription ${inactive} is not active\n` });
    const gone = await run('src/cli/main.ts', ['pipeline', 'redeliver', revoked], env());
    expect(gone).toMatchObject({ code: 1, stderr: `citizen hub: subscription ${revoked} cannot be sent to: its client is revoked\n` });
  });
});
