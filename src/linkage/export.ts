/**
 * `hub export matches`: one CSV row per current source record: system,
 * source_ref, citizen_ref, uprn, address_status, address_score. UPRN and
 * status come from address matching; the UPRN the source gave where the
 * address is not matched yet. Streamed by COPY, so a few
 * million rows need no memory.
 */
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { to as copyTo } from 'pg-copy-streams';

export const MATCHES_COLUMNS = ['system', 'source_ref', 'citizen_ref', 'uprn', 'address_status', 'address_score'] as const;

const MATCHES = `SELECT s.system, s.source_ref, c.ref AS citizen_ref,
         coalesce(m.uprn, (s.record->'addresses'->0->>'uprn')::bigint) AS uprn, m.status AS address_status, round(m.score::numeric, 3) AS address_score
    FROM source_record s
    LEFT JOIN citizen_link l ON l.system = s.system AND l.source_ref = s.source_ref AND l.ended_at IS NULL
    LEFT JOIN citizen c ON c.id = l.citizen_id
    LEFT JOIN address_match m ON m.source_record_id = s.id
   WHERE s.current
   ORDER BY s.system, s.source_ref`;

/** Writes the matches CSV (with a header) to `out`; returns the number of rows. */
export async function exportMatches(pool: pg.Pool, out: Writable): Promise<number> {
  const client = await pool.connect();
  try {
    const stream = client.query(copyTo(`COPY (${MATCHES}) TO STDOUT WITH (FORMAT csv, HEADER true)`));
    await pipeline(stream, out);
    return Number(stream.rowCount);
  } finally {
    client.release();
  }
}
