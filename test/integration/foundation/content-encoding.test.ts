import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestHub, type TestHub } from '../../support/app.js';

describe('request bodies with a Content-Encoding', () => {
  let hub: TestHub;
  let key: string;
  let n = 0;
  const organisation = () => JSON.stringify({ name: `Compressed Partner ${++n}`, kind: 'other' });
  const post = (payload: Buffer | string, encoding?: string) => hub.app.inject({
    method: 'POST', url: '/v1/register/organisations', payload,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...(encoding === undefined ? {} : { 'content-encoding': encoding }) },
  });

  beforeAll(async () => {
    hub = await createTestHub({ bodyLimit: 4096 });
    key = await hub.keyFor('dpo');
  });
  afterAll(async () => hub.close());

  it('decodes gzip, x-gzip, deflate and br, in any case, and a list of codings in the order applied', async () => {
    const cases: [string, (b: Buffer) => Buffer][] = [
      ['gzip', zlib.gzipSync], ['x-gzip', zlib.gzipSync], ['GZip', zlib.gzipSync], ['deflate', zlib.deflateSync], ['br', zlib.brotliCompressSync],
      ['identity', (b) => b], ['gzip, br', (b) => zlib.brotliCompressSync(zlib.gzipSync(b))],
    ];
    for (const [encoding, encode] of cases) {
      const body = organisation();
      const response = await post(encode(Buffer.from(body)), encoding);
      expect(response.statusCode, encoding).toBe(201);
      expect(response.json()).toMatchObject(JSON.parse(body) as object);
    }
  });

  it('refuses a body that is not in the coding it is labelled with', async () => {
    const response = await post(organisation(), 'br');
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ code: 'bad-request', detail: expect.stringMatching(/not valid br data/) });
  });

  it('refuses another content coding with 415 and the codings it takes in Accept-Encoding', async () => {
    for (const encoding of ['compress', 'zstd', 'gzip, gzip, gzip']) {
      const response = await post(zlib.gzipSync(organisation()), encoding);
      expect(response.statusCode, encoding).toBe(415);
      expect(response.json()).toMatchObject({ code: 'unsupported-content-encoding' });
      expect(response.headers['accept-encoding']).toBe('gzip, deflate, br');
    }
    expect((await post(zlib.gzipSync(organisation()), 'compress')).json()).toMatchObject({ detail: expect.stringMatching(/"compress"/) });
  });

  it('bounds the decoded body by the body limit: a zip bomb, or a body over the limit once decoded, is 413', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(4_000_000, ' '));
    expect(bomb.length).toBeLessThan(4096);
    const started = Date.now();
    const refused = await post(bomb, 'gzip');
    expect(refused.statusCode).toBe(413);
    expect(refused.json()).toMatchObject({ code: 'payload-too-large' });
    expect(Date.now() - started).toBeLessThan(1000);
    // Just over the limit once decoded, and just under it.
    const padded = (size: number) => JSON.stringify({ name: `P${' '.repeat(size)}`, kind: 'other' });
    expect((await post(zlib.brotliCompressSync(padded(4097 - padded(0).length)), 'br')).statusCode).toBe(413);
    expect((await post(zlib.brotliCompressSync(padded(4096 - padded(0).length)), 'br')).statusCode).toBe(400);
  });

  it('leaves a body without a coding as it is', async () => {
    expect((await post(organisation())).statusCode).toBe(201);
  });
});
