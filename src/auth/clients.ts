/** SQL for organisations and API clients. */
import type pg from 'pg';
import { COUNCIL_ORG_KIND, type OrgKind } from '../../schemas/register.js';
import { COUNCIL_ROLES, PARTNER_OVERSIGHT_ROLES, type Role } from '../../schemas/roles.js';
import { generateKey, KEY_ID, parseKey, secretMatches } from './keys.js';

export interface AuthenticatedClient {
  id: number;
  orgId: number;
  orgName: string;
  /** Whether the organisation is a council service or a partner: the council's roles need the former. */
  orgKind: OrgKind;
  role: Role;
  systems: string[];
}

export interface ClientSummary extends AuthenticatedClient {
  keyId: string;
  label: string | null;
  createdAt: string;
  revokedAt: string | null;
}

/** The organisation of this name, made with `kind` when new; an existing one keeps its kind, which is returned. */
export async function ensureOrganisation(db: pg.Pool | pg.PoolClient, name: string, kind: OrgKind = COUNCIL_ORG_KIND): Promise<{ id: number; kind: OrgKind }> {
  const { rows } = await db.query<{ id: number; kind: OrgKind }>(
    `INSERT INTO organisation (name, kind) VALUES ($1, $2)
     ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id, kind`,
    [name, kind],
  );
  return rows[0]!;
}

/**
 * A key of one of the council's roles for a partner organisation would be
 * refused on every route its role admits (the auth plugin's gate): refused
 * here instead, before anything is written, and so is a kind that is not the
 * kind of the organisation already registered under that name. A partner's
 * DPO (PARTNER_OVERSIGHT_ROLES) is made: it lists its own organisation's
 * disclosures, and the gate refuses it everything else its role admits.
 */
export async function createClient(
  db: pg.Pool,
  input: { org: string; orgKind?: OrgKind; role: Role; systems?: string[]; label?: string },
): Promise<{ key: string; client: ClientSummary }> {
  const councilOnly = (kind: OrgKind) => {
    if (COUNCIL_ROLES.includes(input.role) && !PARTNER_OVERSIGHT_ROLES.includes(input.role) && kind !== COUNCIL_ORG_KIND) {
      throw new Error(`role ${input.role} acts for the council: its organisation must be of kind ${COUNCIL_ORG_KIND}, not ${kind}`);
    }
  };
  if (input.orgKind !== undefined) councilOnly(input.orgKind);
  const org = await ensureOrganisation(db, input.org, input.orgKind);
  if (input.orgKind !== undefined && org.kind !== input.orgKind) {
    throw new Error(`organisation ${input.org} is registered with kind ${org.kind}, not ${input.orgKind}`);
  }
  councilOnly(org.kind);
  const { key, keyId, secretHash } = generateKey();
  const { rows } = await db.query<{ id: number; created_at: Date }>(
    `INSERT INTO api_client (key_id, secret_hash, org_id, role, systems, label)
     VALUES ($1, $2, $3, $4, $5, $6) RETURNING id, created_at`,
    [keyId, secretHash, org.id, input.role, input.systems ?? [], input.label ?? null],
  );
  const row = rows[0]!;
  return {
    key,
    client: {
      id: row.id,
      keyId,
      orgId: org.id,
      orgName: input.org,
      orgKind: org.kind,
      role: input.role,
      systems: input.systems ?? [],
      label: input.label ?? null,
      createdAt: row.created_at.toISOString(),
      revokedAt: null,
    },
  };
}

/**
 * The clients several keys belong to, with one query (the keys of requests
 * that arrived together): per key, in order, its client, or null for a key
 * that is unknown, malformed or revoked. Each key's row is read by this
 * call, so a key revoked before it is refused.
 */
export async function authenticateMany(db: pg.Pool, keys: readonly string[]): Promise<(AuthenticatedClient | null)[]> {
  const parsed = keys.map(parseKey);
  const keyIds = [...new Set(parsed.flatMap((p) => (p ? [p.keyId] : [])))];
  if (keyIds.length === 0) return keys.map(() => null);
  const { rows } = await db.query<{
    id: number; key_id: string; secret_hash: Buffer; org_id: number; org_name: string; org_kind: OrgKind; role: Role; systems: string[]; revoked_at: Date | null;
  }>({
    // Named: every request runs it, so each connection plans it once.
    name: 'api-clients-by-keys',
    text: `SELECT c.id, c.key_id, c.secret_hash, c.org_id, o.name AS org_name, o.kind AS org_kind, c.role, c.systems, c.revoked_at
       FROM api_client c JOIN organisation o ON o.id = c.org_id
      WHERE c.key_id = ANY($1::text[])`,
    values: [keyIds],
  });
  const byKeyId = new Map(rows.map((row) => [row.key_id, row]));
  // Requests of one caller send the same key: its secret is hashed once per call.
  const checked = new Map<string, AuthenticatedClient | null>();
  return keys.map((key, i) => {
    const known = checked.get(key);
    if (known !== undefined) return known;
    const p = parsed[i];
    const row = p ? byKeyId.get(p.keyId) : undefined;
    const client = !p || !row || row.revoked_at || !secretMatches(p.secret, row.secret_hash)
      ? null
      : { id: row.id, orgId: row.org_id, orgName: row.org_name, orgKind: row.org_kind, role: row.role, systems: row.systems };
    checked.set(key, client);
    return client;
  });
}

/** Revokes by key id or by the full key; returns whether a live key was revoked. */
export async function revokeClient(db: pg.Pool, keyOrId: string): Promise<boolean> {
  const keyId = parseKey(keyOrId)?.keyId ?? keyOrId;
  const { rowCount } = await db.query(
    'UPDATE api_client SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL',
    [keyId],
  );
  return (rowCount ?? 0) > 0;
}

export async function listClients(db: pg.Pool): Promise<ClientSummary[]> {
  const { rows } = await db.query<{
    id: number; key_id: string; org_id: number; org_name: string; org_kind: OrgKind; role: Role; systems: string[];
    label: string | null; created_at: Date; revoked_at: Date | null;
  }>(
    `SELECT c.id, c.key_id, c.org_id, o.name AS org_name, o.kind AS org_kind, c.role, c.systems, c.label, c.created_at, c.revoked_at
       FROM api_client c JOIN organisation o ON o.id = c.org_id ORDER BY c.id`,
  );
  return rows.map((r) => ({
    id: r.id, keyId: r.key_id, orgId: r.org_id, orgName: r.org_name, orgKind: r.org_kind, role: r.role, systems: r.systems,
    label: r.label, createdAt: r.created_at.toISOString(), revokedAt: r.revoked_at?.toISOString() ?? null,
  }));
}

/** A numeric client id (up to 15 digits: the ids are a sequence) or a key id (16 hex characters): clientIdOf takes either. */
export const CLIENT_ID_OR_KEY_ID = '^(?:[1-9][0-9]{0,14}|[0-9a-fA-F]{16})$';

/**
 * A client as a DPO names it in the audit trail's filters: by its numeric
 * id, which the entries record, or by its key id (16 hex characters), which
 * is what `hub clients list` and the key itself show first. A key id no
 * client has is null; a numeric id is taken as it is, as before.
 */
export async function clientIdOf(db: pg.Pool | pg.PoolClient, idOrKeyId: string): Promise<number | null> {
  const given = idOrKeyId.trim().toLowerCase();
  if (!KEY_ID.test(given)) return Number(given);
  const { rows } = await db.query<{ id: string }>('SELECT id FROM api_client WHERE key_id = $1', [given]);
  return rows[0] ? Number(rows[0].id) : null;
}
