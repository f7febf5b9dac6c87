/**
 * The API keys a hub process has checked, so that a request whose key was
 * seen lately is authenticated without a query: the key lookup was a round
 * trip to the database in front of every request. A change to a client or
 * an organisation is announced by the database on `api_client_changed`
 * (migration 025) and each process LISTENs for it: a revoked key is refused
 * once the notification arrives, milliseconds after the revocation commits.
 * While that connection is down nothing is remembered or used, so every key
 * is looked up as before; entries also expire after `ttlMs`.
 */
import pg from 'pg';
import type { AuthenticatedClient } from './clients.js';
import { hashSecret, parseKey, secretMatches } from './keys.js';

export const CHANGE_CHANNEL = 'api_client_changed';

interface Entry {
  secretHash: Buffer;
  client: AuthenticatedClient;
  at: number;
}

export interface ClientCacheOptions {
  ttlMs?: number;
  maxEntries?: number;
  /** Milliseconds, monotonic; performance.now by default. */
  clock?: () => number;
}

export class ClientCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly clock: () => number;
  /** Bumped by every change heard: a lookup sent before one may have read the old row, and is not remembered. */
  private changes = 0;
  private on = false;
  hits = 0;

  constructor(options: ClientCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.clock = options.clock ?? (() => performance.now());
  }

  /** Whether changes are heard, and so entries kept and used. */
  get listening(): boolean {
    return this.on;
  }

  /** To be taken before a lookup is sent and handed to remember() with its result. */
  get generation(): number {
    return this.changes;
  }

  /** The client of this key if it was checked lately and the secret is the one checked. */
  lookup(key: string): AuthenticatedClient | undefined {
    if (!this.on) return undefined;
    const parsed = parseKey(key);
    const entry = parsed ? this.entries.get(parsed.keyId) : undefined;
    if (!parsed || !entry) return undefined;
    if (this.clock() - entry.at > this.ttlMs) {
      this.entries.delete(parsed.keyId);
      return undefined;
    }
    if (!secretMatches(parsed.secret, entry.secretHash)) return undefined;
    this.hits++;
    return entry.client;
  }

  /** A key the database accepted, by a lookup sent at `generation`. */
  remember(key: string, client: AuthenticatedClient, generation: number): void {
    const parsed = parseKey(key);
    if (!this.on || generation !== this.changes || !parsed) return;
    if (!this.entries.has(parsed.keyId) && this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(parsed.keyId, { secretHash: hashSecret(parsed.secret), client, at: this.clock() });
  }

  /** A change heard: one client's key id, or '' for anything. */
  changed(keyId: string): void {
    this.changes++;
    if (keyId === '') this.entries.clear();
    else this.entries.delete(keyId);
  }

  /** Changes are heard from now on (everything before is forgotten), or no longer. */
  setListening(on: boolean): void {
    this.changed('');
    this.on = on;
  }
}

/**
 * Keeps a connection LISTENing for changes on behalf of a cache, connecting
 * again after `retryMs` whenever it is lost; the cache is used only while it
 * listens.
 */
export class ClientChangeListener {
  private client: pg.Client | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly cache: ClientCache,
    private readonly onError: (error: Error) => void,
    private readonly retryMs = 1_000,
  ) {}

  start(): void {
    if (this.stopped || this.client) return;
    const client = new pg.Client({ ...this.config, application_name: 'hub-api-key-cache' });
    this.client = client;
    const lost = (error?: Error) => {
      if (this.client !== client) return;
      this.client = null;
      this.cache.setListening(false);
      client.end().catch(() => undefined);
      if (this.stopped) return;
      if (error) this.onError(error);
      this.timer = setTimeout(() => this.start(), this.retryMs);
      this.timer.unref();
    };
    client.on('notification', (message) => {
      if (message.channel === CHANGE_CHANNEL) this.cache.changed(message.payload ?? '');
    });
    client.on('error', lost);
    client.on('end', () => lost());
    client.connect()
      .then(() => client.query(`LISTEN ${CHANGE_CHANNEL}`))
      .then(() => {
        if (this.client === client) this.cache.setListening(true);
      })
      .catch(lost);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const client = this.client;
    this.client = null;
    this.cache.setListening(false);
    await client?.end().catch(() => undefined);
  }
}
