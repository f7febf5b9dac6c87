/** `hub clients`: API credentials for organisations. */
import { Command, Option } from 'commander';
import { ORG_KINDS, type OrgKind } from '../../schemas/register.js';
import { ROLES, isRole } from '../../schemas/roles.js';
import { createClient, listClients, revokeClient } from '../auth/clients.js';
import { action, withDatabase } from './context.js';

export function clientsCommand(): Command {
  const clients = new Command('clients').description('API clients (credentials) of organisations');

  clients
    .command('create')
    .description('create a client and print its key (shown once; only a hash is stored)')
    .requiredOption('--org <name>', 'organisation that owns the client (created if new)')
    .addOption(new Option('--role <role>', 'role of the client').choices([...ROLES]).makeOptionMandatory())
    // No default: a kind given for an organisation that exists must be its kind, and one left out is not checked.
    .addOption(new Option('--org-kind <kind>', 'kind of a new organisation (default council-service); admin and steward need council-service, a partner\'s dpo lists its own disclosures only')
      .choices([...ORG_KINDS]))
    .option('--systems <list>', 'source systems a source-system client may push to (comma separated)')
    .option('--label <text>', 'a note to recognise the client by')
    .action(action(async (opts: { org: string; role: string; orgKind?: OrgKind; systems?: string; label?: string }) => {
      if (!isRole(opts.role)) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
      const role = opts.role;
      const systems = opts.systems?.split(',').map((s) => s.trim()).filter(Boolean) ?? [];
      await withDatabase(async (db) => {
        const { key, client } = await createClient(db.pool, { org: opts.org, ...(opts.orgKind ? { orgKind: opts.orgKind } : {}), role, systems, label: opts.label });
        // The kind is said: a new organisation left without --org-kind is a council's, which admits the council's roles.
        // The client id and the organisation's id are what the audit trail records (and GET /v1/audit/disclosures?client= and ?org= take).
        process.stderr.write(`created client ${client.keyId} (client id ${client.id}) for ${client.orgName} (${client.orgKind}) with role ${client.role} `
          + `(organisation id ${client.orgId}); the key is shown once:\n`);
        process.stdout.write(`${key}\n`);
      });
    }));

  clients
    .command('revoke')
    .description('revoke a client by its key id or key')
    .argument('<key-or-id>', 'the key, or the key id shown by `hub clients list`')
    .action(action(async (keyOrId: string) => {
      await withDatabase(async (db) => {
        if (!(await revokeClient(db.pool, keyOrId))) throw new Error('no live client has that key id');
        process.stdout.write('revoked\n');
      });
    }));

  clients
    .command('list')
    .description('list clients (never their keys): key id, client id, organisation id and name, role, systems, status, label; tab-separated, under a header')
    .action(action(async () => {
      await withDatabase(async (db) => {
        // The client and organisation ids are those the audit trail records, by which its filters find a client's entries.
        const lines = [['key id', 'client id', 'org id', 'organisation', 'role', 'systems', 'status', 'label']];
        for (const c of await listClients(db.pool)) {
          lines.push([
            c.keyId, String(c.id), String(c.orgId), c.orgName, c.role, c.systems.join(',') || '-', c.revokedAt ? `revoked ${c.revokedAt}` : 'active', c.label ?? '',
          ]);
        }
        process.stdout.write(lines.map((line) => `${line.join('\t')}\n`).join(''));
      });
    }));
  return clients;
}
