/**
 * One COPY stream per gazetteer table, each on its own connection, fed with
 * rows as the file is read. Rows go in chunks of about 64 KB because
 * pg-copy-streams sends each write as its own CopyData message: a message
 * per row made the load phase three times slower. Smaller chunks are
 * leaner: at 500,000 addresses 256 KB peaked at 1087 MiB RSS, 64 KB at
 * 901 MiB. Back-pressure is respected: a full stream pauses the reader
 * until it drains.
 */
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { GazetteerRecord } from '../../schemas/bs7666.js';
import { copyLine, rowOf, TABLES, type RecordType, type Value } from './tables.js';

interface Open {
  client: pg.PoolClient;
  stream: Writable;
  done: Promise<void>;
  /** COPY text not yet handed to the stream. */
  pending: string;
}

const CHUNK = 64 * 1024;

export class CopyWriter {
  private readonly open = new Map<RecordType, Open>();
  private failure: Error | null = null;

  /** `metaColumns` come before each table's own columns: a change-only import's order, file, line and change type. */
  constructor(
    private readonly pool: pg.Pool,
    private readonly schema: string,
    private readonly metaColumns: readonly string[] = [],
  ) {}

  /** `meta` holds the values of the meta columns, in their order. */
  async write(record: GazetteerRecord, meta: readonly Value[] = []): Promise<void> {
    if (this.failure) throw this.failure;
    const target = this.open.get(record.type) ?? (await this.start(record.type));
    target.pending += copyLine(meta.length === 0 ? rowOf(record) : [...meta, ...rowOf(record)]);
    if (target.pending.length >= CHUNK) await this.flush(target);
  }

  /** Ends every stream and waits until PostgreSQL has taken every row. */
  async finish(): Promise<void> {
    for (const t of this.open.values()) {
      if (this.failure) break;
      await this.flush(t);
    }
    for (const t of this.open.values()) t.stream.end();
    try {
      await Promise.all([...this.open.values()].map((t) => t.done));
    } finally {
      this.release();
    }
    if (this.failure) throw this.failure;
  }

  /** Abandons the load (the rows went into tables that will be dropped). */
  async abort(): Promise<void> {
    for (const t of this.open.values()) t.stream.destroy();
    await Promise.allSettled([...this.open.values()].map((t) => t.done));
    this.release(true);
  }

  private async flush(target: Open): Promise<void> {
    const chunk = target.pending;
    target.pending = '';
    if (chunk.length > 0 && !target.stream.write(chunk)) {
      await Promise.race([once(target.stream, 'drain'), target.done]);
      if (this.failure) throw this.failure;
    }
  }

  private release(broken = false): void {
    for (const t of this.open.values()) t.client.release(broken);
    this.open.clear();
  }

  private async start(type: RecordType): Promise<Open> {
    const spec = TABLES[type];
    const client = await this.pool.connect();
    const stream = client.query(copyFrom(`COPY ${this.schema}.${spec.table} (${[...this.metaColumns, ...spec.columns].join(', ')}) FROM STDIN`));
    const done = new Promise<void>((resolve) => {
      stream.on('finish', () => resolve());
      stream.on('error', (error: Error) => {
        this.failure ??= new Error(`loading ${spec.table}: ${error.message}`);
        resolve();
      });
    });
    const entry = { client, stream, done, pending: '' };
    this.open.set(type, entry);
    return entry;
  }
}
