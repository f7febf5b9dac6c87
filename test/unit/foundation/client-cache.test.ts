import { describe, expect, it } from 'vitest';
import { ClientCache } from '../../../src/auth/client-cache.js';
import type { AuthenticatedClient } from '../../../src/auth/clients.js';
import { generateKey } from '../../../src/auth/keys.js';

const client: AuthenticatedClient = { id: 7, orgId: 3, orgName: 'Northby Council Contact Centre', orgKind: 'council-service', role: 'adviser', systems: [] };

function listeningCache(options: ConstructorParameters<typeof ClientCache>[0] = {}): ClientCache {
  const cache = new ClientCache(options);
  cache.setListening(true);
  return cache;
}

describe('API key cache', () => {
  it('answers a remembered key and counts the hit', () => {
    const cache = listeningCache();
    const { key } = generateKey();
    expect(cache.lookup(key)).toBeUndefined();
    cache.remember(key, client, cache.generation);
    expect(cache.lookup(key)).toEqual(client);
    expect(cache.hits).toBe(1);
  });

  it('does not answer another secret under a remembered key id, nor a malformed key', () => {
    const cache = listeningCache();
    const { key } = generateKey();
    cache.remember(key, client, cache.generation);
    const forged = `${key.slice(0, -4)}AAAA`;
    expect(forged).not.toBe(key);
    expect(cache.lookup(forged)).toBeUndefined();
    expect(cache.lookup('not-a-key')).toBeUndefined();
    expect(cache.hits).toBe(0);
  });

  it('forgets a key when its change is heard, and everything on a change of anything', () => {
    const cache = listeningCache();
    const [a, b] = [generateKey(), generateKey()];
    cache.remember(a.key, client, cache.generation);
    cache.remember(b.key, client, cache.generation);
    cache.changed(a.keyId);
    expect(cache.lookup(a.key)).toBeUndefined();
    expect(cache.lookup(b.key)).toEqual(client);
    cache.changed('');
    expect(cache.lookup(b.key)).toBeUndefined();
  });

  it('does not remember a lookup sent before a change was heard (it may have read the old row)', () => {
    const cache = listeningCache();
    const { key, keyId } = generateKey();
    const sentAt = cache.generation;
    cache.changed(keyId);
    cache.remember(key, client, sentAt);
    expect(cache.lookup(key)).toBeUndefined();
  });

  it('neither remembers nor answers while changes are not heard, and starts empty when they are again', () => {
    const cache = new ClientCache();
    const { key } = generateKey();
    cache.remember(key, client, cache.generation);
    cache.setListening(true);
    expect(cache.lookup(key)).toBeUndefined();
    cache.remember(key, client, cache.generation);
    cache.setListening(false);
    expect(cache.lookup(key)).toBeUndefined();
    cache.setListening(true);
    expect(cache.lookup(key)).toBeUndefined();
  });

  it('lets an entry expire after its time to live', () => {
    let now = 0;
    const cache = listeningCache({ ttlMs: 1000, clock: () => now });
    const { key } = generateKey();
    cache.remember(key, client, cache.generation);
    now = 1000;
    expect(cache.lookup(key)).toEqual(client);
    now = 1001;
    expect(cache.lookup(key)).toBeUndefined();
  });

  it('keeps at most maxEntries keys, dropping the oldest', () => {
    const cache = listeningCache({ maxEntries: 2 });
    const keys = [generateKey(), generateKey(), generateKey()];
    for (const k of keys) cache.remember(k.key, client, cache.generation);
    expect(cache.lookup(keys[0]!.key)).toBeUndefined();
    expect(cache.lookup(keys[1]!.key)).toEqual(client);
    expect(cache.lookup(keys[2]!.key)).toEqual(client);
  });
});
