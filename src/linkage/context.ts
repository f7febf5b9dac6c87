/**
 * What every linkage operation needs: the database, the nickname table and
 * the active person model (with its version, recorded on review items).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { ConfigError } from '../config.js';
import { transaction } from '../db/transaction.js';
import {
  buildNicknameTable, DEFAULT_BLOCKING_RULES, modelFromJson, modelToJson, parseNicknameCsv, parseRelationshipCsv,
  type BlockingRule, type PersonModel, type PrepareTables,
} from '../../matching/person/index.js';
import { CURATED_NICKNAMES_URL } from '../../matching/person-data/index.js';
import { keysFingerprint, rekeyIfChanged, storedFingerprint } from './block-keys.js';
import { settleReviews } from './review.js';

type Db = pg.Pool | pg.PoolClient;

const LINKAGE_LOCK = 7_401_006;

export interface LinkageContext {
  pool: pg.Pool;
  tables: PrepareTables;
  model: PersonModel;
  modelVersion: number;
  rules: readonly BlockingRule[];
  /** Blocks larger than this are no evidence (a placeholder value shared by thousands) and are skipped. */
  maxBlockSize: number;
}

export class LinkageError extends Error {
  constructor(
    readonly code: 'not-found' | 'conflict' | 'bad-request',
    message: string,
  ) {
    super(message);
    this.name = 'LinkageError';
  }
}

/** The configured table; one that cannot be read or parsed (changed since the start checked it) is a ConfigError naming NICKNAMES_FILE. */
async function extraNicknames(file: string): Promise<ReturnType<typeof parseRelationshipCsv>> {
  try {
    return parseRelationshipCsv(await readFile(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError('NICKNAMES_FILE', `cannot read ${file} as a name1,relationship,name2 table: ${code === 'ENOENT' ? 'no such file' : code ?? 'not CSV'}`);
  }
}

/** The curated British table, plus a configured extra table (name1,relationship,name2) when given. */
export async function loadPrepareTables(nicknamesFile: string | null = null): Promise<PrepareTables> {
  const curated = parseNicknameCsv(await readFile(fileURLToPath(CURATED_NICKNAMES_URL), 'utf8'));
  const extra = nicknamesFile ? await extraNicknames(nicknamesFile) : [];
  return { nicknames: buildNicknameTable(curated, extra) };
}

export async function activeModel(db: Db): Promise<{ version: number; model: PersonModel } | null> {
  const row = (await db.query<{ version: number; model: unknown }>('SELECT version, model FROM person_model WHERE active')).rows[0];
  return row ? { version: row.version, model: modelFromJson(JSON.stringify(row.model)) } : null;
}

/** Stores a model as the new active version; the earlier versions stay. */
export function saveModel(pool: pg.Pool, model: PersonModel, seed: number): Promise<number> {
  return transaction(pool, async (client) => {
    await client.query('UPDATE person_model SET active = false WHERE active');
    const { rows } = await client.query<{ version: number }>(
      'INSERT INTO person_model (model, seed, records, active) VALUES ($1, $2, $3, true) RETURNING version',
      [modelToJson(model), seed, model.training.records],
    );
    return rows[0]!.version;
  });
}

export interface OpenOptions {
  nicknamesFile?: string | null;
  tables?: PrepareTables;
  maxBlockSize?: number;
}

/**
 * The context with the active model; fails when no model has been trained
 * yet. Stored blocking keys made with other rules or another nickname table
 * are made again first (src/linkage/block-keys.ts).
 */
export async function openLinkage(pool: pg.Pool, options: OpenOptions = {}): Promise<LinkageContext> {
  const active = await activeModel(pool);
  if (!active) throw new LinkageError('conflict', 'no person model has been trained: run `hub linkage train` first');
  const ctx: LinkageContext = {
    pool,
    tables: options.tables ?? (await loadPrepareTables(options.nicknamesFile ?? null)),
    model: active.model,
    modelVersion: active.version,
    rules: DEFAULT_BLOCKING_RULES,
    maxBlockSize: options.maxBlockSize ?? 500,
  };
  const fingerprint = keysFingerprint(ctx.rules, ctx.tables);
  if ((await storedFingerprint(pool)) !== fingerprint) await inTransaction(pool, (db) => rekeyIfChanged(db, ctx, fingerprint));
  return ctx;
}

/**
 * The lock, then the next linkage generation: the subquery (kept apart by OFFSET 0) is scanned before the outer
 * row is made, so the number is taken once the lock is held, and two transactions holding the lock one after the
 * other take consecutive numbers only if no other took the lock between them.
 */
const LOCK_SQL = "SELECT nextval('linkage_generation') AS generation FROM (SELECT pg_advisory_xact_lock($1) OFFSET 0) locked";

/**
 * Runs `fn` in a transaction holding the linkage lock: linking and steward decisions never interleave. `fn` is
 * given the transaction's linkage generation (see LOCK_SQL). Before it commits, the review items its changes
 * answered are withdrawn (settleReviews), whichever way the records came together.
 */
export function inTransaction<T>(pool: pg.Pool, fn: (db: pg.PoolClient, generation: number) => Promise<T>): Promise<T> {
  return transaction(pool, async (db) => {
    const { rows } = await db.query<{ generation: string }>({ name: 'linkage-lock', text: LOCK_SQL, values: [LINKAGE_LOCK] });
    const result = await fn(db, Number(rows[0]!.generation));
    await settleReviews(db);
    return result;
  });
}

/**
 * The linkage context of a long-running worker: the nickname tables are read
 * once, the model again only when another version becomes active. Null while
 * no model has been trained.
 */
export function linkageForWorker(pool: pg.Pool, nicknamesFile: string | null): () => Promise<LinkageContext | null> {
  let tables: Promise<PrepareTables> | null = null;
  let cached: LinkageContext | null = null;
  return async () => {
    const version = (await pool.query<{ version: number }>('SELECT version FROM person_model WHERE active')).rows[0]?.version;
    if (version === undefined) return null;
    if (cached?.modelVersion !== version) {
      tables ??= loadPrepareTables(nicknamesFile);
      cached = await openLinkage(pool, { tables: await tables });
    }
    return cached;
  };
}
