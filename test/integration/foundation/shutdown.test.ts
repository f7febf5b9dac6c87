import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/logging.js';
import { startQueue } from '../../../src/pipeline/queue.js';
import { buildApp } from '../../../src/server/app.js';
import { createTestDatabase, type TestDatabase } from '../../support/db.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('graceful shutdown', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  it('finishes an in-flight request before the server closes, and refuses new ones', async () => {
    const app = await buildApp({ config: { bodyLimit: 1024, rateLimitPerMinute: 1000 }, pool: db.pool, logger: createLogger('silent') });
    app.get('/slow', { schema: { hide: true } }, async () => {
      await sleep(400);
      return { done: true };
    });
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const inFlight = fetch(`${address}/slow`);
    await sleep(100);
    const closing = app.close();
    const response = await inFlight;
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ done: true });
    await closing;
    await expect(fetch(`${address}/health`)).rejects.toThrow();
  });

  it('waits for the job in hand before the queue stops', async () => {
    let started = false;
    let finished = false;
    const queue = await startQueue(db.url, {
      workers: true,
      log: () => undefined,
      jobs: [
        {
          name: 'test.slow',
          async handler() {
            started = true;
            await sleep(800);
            finished = true;
          },
        },
      ],
    });
    await queue.boss.send('test.slow', {});
    for (let i = 0; i < 100 && !started; i++) await sleep(50);
    expect(started).toBe(true);
    await queue.stop(10_000);
    expect(finished).toBe(true);
  });
});
