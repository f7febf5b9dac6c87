/**
 * Intake of one file or one pushed batch: mapped items are stored in small
 * transactions (a crash loses at most the batch in hand, and a re-run is
 * idempotent), the intake's counts are kept current for progress, and every
 * new current version is handed to the pipeline.
 */
import type pg from 'pg';
import type { MappedItem } from '../../adapters/mapping/index.js';
import { count, emptyCounts, storeItems, type Counts, type IntakeItem, type Position } from './store.js';

export interface IntakeSource {
  system: string;
  channel: 'file' | 'push';
  fileName?: string | null;
  requestId?: string | null;
  clientId?: number | null;
  rawFormat: string;
}

export interface IngestOptions {
  batchSize?: number;
  onProgress?: (counts: Counts) => void;
  /** Called in each batch's transaction, before it commits, with the ids of new current versions. */
  onAccepted?: (sourceRecordIds: number[], db: pg.PoolClient) => Promise<void>;
}

const CREATE = `INSERT INTO intake (system, channel, file_name, request_id, client_id) VALUES ($1, $2, $3, $4, $5) RETURNING id`;
const PROGRESS = `UPDATE intake SET read = $2, accepted = $3, unchanged = $4, superseded = $5, rejected = $6 WHERE id = $1`;
const FINISH = `UPDATE intake SET status = $2, error = $3, finished_at = now() WHERE id = $1`;

export async function createIntake(pool: pg.Pool, source: IntakeSource): Promise<number> {
  return (await pool.query<{ id: number }>(CREATE, [source.system, source.channel, source.fileName ?? null, source.requestId ?? null, source.clientId ?? null])).rows[0]!.id;
}

function toItem(mapped: MappedItem, source: IntakeSource): IntakeItem {
  const position: Position = source.channel === 'file'
    ? { file: source.fileName ?? '', ...(mapped.position.line !== undefined ? { line: mapped.position.line } : {}), index: mapped.position.index }
    : { requestId: source.requestId ?? '', index: mapped.position.index };
  if ('reject' in mapped) {
    return { kind: 'reject', position, field: mapped.reject.field, rule: mapped.reject.rule, reason: mapped.reject.message, raw: mapped.raw };
  }
  return { kind: 'record', record: mapped.record, raw: mapped.raw, rawFormat: source.rawFormat, position };
}

/** Stores everything `items` yields under intake `intakeId`; returns the final counts. */
export async function ingestItems(pool: pg.Pool, intakeId: number, source: IntakeSource, items: AsyncIterable<MappedItem>, options: IngestOptions = {}): Promise<Counts> {
  const counts = emptyCounts();
  const batchSize = options.batchSize ?? 500;
  let batch: IntakeItem[] = [];
  const flush = async (chunk: IntakeItem[]) => {
    if (chunk.length === 0) return;
    const client = await pool.connect();
    const accepted: number[] = [];
    const before = { ...counts };
    try {
      await client.query('BEGIN');
      for (const { outcome, id } of await storeItems(client, intakeId, source.system, chunk)) {
        count(counts, outcome);
        if (id !== null) accepted.push(id);
      }
      await client.query(PROGRESS, [intakeId, counts.read, counts.accepted, counts.unchanged, counts.superseded, counts.rejected]);
      // In the batch's transaction: a crash can never leave stored records that the pipeline was not told of.
      if (accepted.length > 0) await options.onAccepted?.(accepted, client);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      Object.assign(counts, before);
      throw error;
    } finally {
      client.release();
    }
    options.onProgress?.(counts);
  };
  // One batch is stored while the next is read and mapped; batches still commit one after another, in order.
  let storing: Promise<void> = Promise.resolve();
  try {
    for await (const mapped of items) {
      batch.push(toItem(mapped, source));
      if (batch.length >= batchSize) {
        await storing;
        storing = flush(batch);
        // Handled when awaited: a failure must not count as unhandled while the next batch is mapped.
        storing.catch(() => undefined);
        batch = [];
      }
    }
    await storing;
    await flush(batch);
    await pool.query(FINISH, [intakeId, 'done', null]);
    return counts;
  } catch (error) {
    await pool.query(FINISH, [intakeId, 'failed', error instanceof Error ? error.message : String(error)]).catch(() => undefined);
    throw error;
  }
}
