/**
 * The application's database role. The hub's server, workers and CLI
 * commands work through a login role that owns nothing and is no superuser,
 * so that the database itself, not only its triggers, refuses them an
 * UPDATE, DELETE or TRUNCATE of the audit trail. Migrations, pg-boss's
 * schema and a gazetteer FULL import's schema swap run as the owner.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import pg from 'pg';

/** The role the embedded server creates for the application. */
export const APP_ROLE = 'hub_app';

// Serialises role creation and grant runs of processes starting at once (catalog rows updated twice at the same time fail).
const ROLE_LOCK = 7_316_402_117;

/** Tables whose rows, once written, stay: the application may read and add, never change or remove. */
export const AUDIT_TABLE_PREFIX = 'audit_';

/**
 * A SCRAM-SHA-256 verifier for the password, so that CREATE/ALTER ROLE never
 * carries the password itself (a failed statement is written to the server log).
 */
export function scramVerifier(password: string, iterations = 4096): string {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

/**
 * Creates the login role if it does not exist, and sets its password when it
 * was just made or `resetPassword` says the stored one is new. Needs a
 * connection allowed to create roles (the embedded server's superuser).
 */
export async function ensureLoginRole(adminUrl: string, role: string, password: string, resetPassword: boolean): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [ROLE_LOCK]);
    const { rowCount } = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    const ident = client.escapeIdentifier(role);
    const verifier = client.escapeLiteral(scramVerifier(password));
    if (!rowCount) {
      await client.query(`CREATE ROLE ${ident} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${verifier}`);
    } else if (resetPassword) {
      await client.query(`ALTER ROLE ${ident} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD ${verifier}`);
    }
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}

/**
 * Gives `role` what the application needs on every relation the connected
 * (owner) role owns outside the system schemas, and takes back what it must
 * not have. Idempotent, and cheap when nothing changed (it grants only what
 * is missing), so it runs after every migration run: a table a new migration
 * adds is covered at once, whatever its name.
 *
 * - tables and views: SELECT, INSERT, UPDATE, DELETE (never TRUNCATE);
 * - tables named audit_*: SELECT and INSERT only, also taken from PUBLIC;
 *   their trigger functions run as the owner (SECURITY DEFINER), so that
 *   their checks see what the application itself may not change;
 * - pgmigrations: SELECT (readiness reads it), nothing else;
 * - sequences: USAGE, SELECT; schemas: USAGE;
 * - default privileges of the owner: the same for tables, sequences and
 *   schemas made later (pg-boss's per-queue tables, the gazetteer schema a
 *   FULL import swaps in). An audit_* table made later has UPDATE and DELETE
 *   from these until the next run, which follows its migration at once.
 * Functions keep PostgreSQL's default EXECUTE for PUBLIC; none is granted
 * here, so a function whose EXECUTE was revoked stays revoked.
 */
export async function grantAppRole(ownerUrl: string, role: string): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl });
  await client.connect();
  try {
    const app = client.escapeLiteral(role);
    const ident = client.escapeIdentifier(role);
    const prefix = client.escapeLiteral(`${AUDIT_TABLE_PREFIX.replace(/_/g, '\\_')}%`);
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [ROLE_LOCK]);
    await client.query(`DO $grant$
DECLARE
  app CONSTANT text := ${app};
  me CONSTANT oid := (SELECT oid FROM pg_roles WHERE rolname = current_user);
  r record;
BEGIN
  FOR r IN
    SELECT n.oid, n.nspname FROM pg_namespace n
     WHERE n.nspowner = me AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
  LOOP
    IF NOT has_schema_privilege(app, r.oid, 'USAGE') THEN
      EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', r.nspname, app);
    END IF;
  END LOOP;

  FOR r IN
    SELECT c.oid::regclass AS rel, c.relname, c.relkind,
           c.relkind = 'm' OR c.relname = 'pgmigrations' AS read_only,
           c.relname LIKE ${prefix} AS audit
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relowner = me AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
       AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
  LOOP
    IF r.relkind = 'S' THEN
      IF NOT (has_sequence_privilege(app, r.rel, 'USAGE') AND has_sequence_privilege(app, r.rel, 'SELECT')) THEN
        EXECUTE format('GRANT USAGE, SELECT ON SEQUENCE %s TO %I', r.rel, app);
      END IF;
    ELSIF r.read_only OR r.audit THEN
      IF has_table_privilege(app, r.rel, 'UPDATE') OR has_table_privilege(app, r.rel, 'DELETE') OR has_table_privilege(app, r.rel, 'TRUNCATE')
         OR (r.read_only AND has_table_privilege(app, r.rel, 'INSERT')) THEN
        EXECUTE format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON %s FROM %I, PUBLIC', r.rel, app);
      END IF;
      IF NOT has_table_privilege(app, r.rel, 'SELECT') THEN
        EXECUTE format('GRANT SELECT ON %s TO %I', r.rel, app);
      END IF;
      IF r.audit AND NOT r.read_only AND NOT has_table_privilege(app, r.rel, 'INSERT') THEN
        EXECUTE format('GRANT INSERT ON %s TO %I', r.rel, app);
      END IF;
    ELSIF NOT (has_table_privilege(app, r.rel, 'SELECT') AND has_table_privilege(app, r.rel, 'INSERT')
               AND has_table_privilege(app, r.rel, 'UPDATE') AND has_table_privilege(app, r.rel, 'DELETE')) THEN
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %s TO %I', r.rel, app);
    END IF;
  END LOOP;

  FOR r IN
    SELECT DISTINCT p.oid::regprocedure AS fn, n.nspname FROM pg_trigger t
      JOIN pg_class c ON c.oid = t.tgrelid
      JOIN pg_proc p ON p.oid = t.tgfoid
      JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE NOT t.tgisinternal AND c.relname LIKE ${prefix} AND c.relowner = me
       AND p.proowner = me AND NOT p.prosecdef
  LOOP
    EXECUTE format('ALTER FUNCTION %s SECURITY DEFINER SET search_path = %I, pg_temp', r.fn, r.nspname);
  END LOOP;
END
$grant$`);
    await client.query(`ALTER DEFAULT PRIVILEGES GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${ident}`);
    await client.query(`ALTER DEFAULT PRIVILEGES GRANT USAGE, SELECT ON SEQUENCES TO ${ident}`);
    await client.query(`ALTER DEFAULT PRIVILEGES GRANT USAGE ON SCHEMAS TO ${ident}`);
    await client.query('COMMIT');
  } finally {
    await client.end();
  }
}

export interface RoleCheck {
  role: string;
  superuser: boolean;
  /** The role owns audit_log (an owner can grant itself anything back and disable triggers). */
  ownsAudit: boolean;
}

/** Who `pool` connects as, and whether that role could change the audit trail. */
export async function checkRole(pool: pg.Pool): Promise<RoleCheck> {
  const { rows } = await pool.query<{ role: string; superuser: boolean; owns_audit: boolean }>(
    `SELECT current_user AS role, r.rolsuper AS superuser,
            COALESCE((SELECT pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c
                       WHERE c.oid = to_regclass('audit_log')), false) AS owns_audit
       FROM pg_roles r WHERE r.rolname = current_user`,
  );
  const row = rows[0]!;
  return { role: row.role, superuser: row.superuser, ownsAudit: row.owns_audit };
}
