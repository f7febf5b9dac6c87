/**
 * `hub audit verify`: seals what has committed and checks the audit trail's hash chain; exit code 1 and the first broken (or unsealed) seq when it is broken.
 * `hub audit disclosures`: the entries GET /v1/audit/disclosures gives, with the same filters, one JSON object a line; audited as
 * the route's listing is, under the stand-in actor of a command (src/audit/listing.ts).
 */
import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import { Command, InvalidArgumentError } from 'commander';
import type pg from 'pg';
import { CLIENT_ID_OR_KEY_ID, clientIdOf } from '../auth/clients.js';
import { citizenFilter, citizenRefProblem, COMMAND_ACTOR, DECISIONS, disclosuresListEntry } from '../audit/listing.js';
import { disclosures, periodProblem, verifyWhole, withAudit, type DisclosureFilters, type StoredAuditEntry } from '../audit/store.js';
import { LinkedCitizenSource } from '../linkage/citizen-source.js';
import { londonDate } from '../policy/decide.js';
import { action, wholeNumber, withDatabase } from './context.js';

/** The same bounds as the route's query schema, so the CLI refuses what the API refuses. */
const dateTime = (value: string): string => {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i.test(value) || Number.isNaN(Date.parse(value))) {
    throw new InvalidArgumentError('expected an ISO 8601 date-time with a zone, e.g. 2026-06-15T09:00:00Z');
  }
  return value;
};

/** Who ran the command, as far as the operating system says (none in some containers). */
const osUser = (): string | null => {
  try {
    return userInfo().username;
  } catch {
    return null;
  }
};

/** A client id or key id, checked as the route checks it; resolved once the database is open. */
const clientOption = (value: string): string => {
  if (!new RegExp(CLIENT_ID_OR_KEY_ID).test(value.trim())) throw new InvalidArgumentError('expected a client id (a whole number) or a key id (16 hex characters)');
  return value.trim();
};

/** A citizen reference, checked as the route checks it (the message never quotes the value: it may be a name). */
export const citizenOption = (value: string): string => {
  const problem = citizenRefProblem(value.trim());
  if (problem) throw new InvalidArgumentError(`the value ${problem}`);
  return value.trim();
};

const decisionOption = (value: string): (typeof DECISIONS)[number] => {
  const decision = DECISIONS.find((d) => d === value.trim());
  if (!decision) throw new InvalidArgumentError(`expected one of ${DECISIONS.join(', ')}`);
  return decision;
};

export interface DisclosureOptions {
  citizen?: string; org?: number; client?: string; purpose?: string; from?: string; to?: string;
  reviewRequired?: boolean; action?: string; decision?: (typeof DECISIONS)[number]; after: number; limit: number;
}

/**
 * `hub audit disclosures` on an open database: the entries the route lists for
 * the same filters, the listing recorded as the route's is (under the
 * command's stand-in client, src/audit/listing.ts).
 */
export async function listDisclosures(pool: pg.Pool, options: DisclosureOptions): Promise<StoredAuditEntry[]> {
  const filters: DisclosureFilters = { after: options.after, limit: options.limit };
  if (options.org !== undefined) filters.org = options.org;
  if (options.purpose !== undefined) filters.purpose = options.purpose;
  if (options.from !== undefined) filters.from = options.from;
  if (options.to !== undefined) filters.to = options.to;
  if (options.reviewRequired) Object.assign(filters, { reviewRequired: true, reviewed: false });
  const problem = periodProblem(filters);
  if (problem) throw new Error(problem);
  if (options.action !== undefined) filters.action = options.action;
  if (options.decision !== undefined) filters.decision = options.decision;
  if (options.client !== undefined) {
    const client = await clientIdOf(pool, options.client);
    if (client === null) throw new Error(`no client has key id ${options.client}`);
    filters.client = client;
  }
  // As the route: an old reference is its survivor's, and entries under the references merged into the citizen, and naming the citizen's records, are the citizen's too.
  if (options.citizen !== undefined) Object.assign(filters, await citizenFilter(new LinkedCitizenSource(pool), options.citizen, londonDate(new Date())));
  // Recorded like the route's listing, in the same transaction as the read (src/audit/listing.ts).
  return withAudit(pool, async (tx) => {
    const found = await disclosures(tx, filters);
    const entry = disclosuresListEntry(COMMAND_ACTOR, `cli-${randomUUID()}`, new Date(), filters, found.length, { command: 'hub audit disclosures', osUser: osUser() });
    return { result: found, entries: [entry] };
  });
}

export function auditCommand(): Command {
  const audit = new Command('audit').description('the tamper-evident audit trail of disclosures');
  audit
    .command('verify')
    .description('seal committed entries, then check every entry of the hash chain in order; exits 1 at the first broken or unsealed entry')
    .action(action(async () => {
      const result = await withDatabase((db) => verifyWhole(db.pool, {
        onStep: (checked) => process.stderr.isTTY && process.stderr.write(`checked ${checked} entries, intact so far\n`),
      }));
      if (result.ok) {
        process.stdout.write(`audit trail intact: ${result.count} entries${result.pending ? ` (${result.pending} just committed, not sealed yet)` : ''}\n`);
        return;
      }
      process.stdout.write(`audit trail broken at seq ${result.firstBrokenSeq}: ${result.reason}\n`);
      process.exitCode = 1;
    }));
  audit
    .command('disclosures')
    .description('disclosures and denials, oldest first, as JSON lines (the filters of GET /v1/audit/disclosures)')
    .option('--citizen <ref>', 'about this person: a citizen reference, current or merged into another (the same person either way)', citizenOption)
    .option('--org <id>', 'to this organisation', wholeNumber(1))
    .option('--client <id>', 'to this API client: its client id, or its key id (both shown by hub clients list)', clientOption)
    .option('--purpose <purpose>', 'for this purpose')
    .option('--from <date-time>', 'at or after (ISO 8601)', dateTime)
    .option('--to <date-time>', 'before (ISO 8601)', dateTime)
    .option('--review-required', 'only break-glass use waiting for review (not reviewed yet)')
    .option('--action <action>', 'only this action, e.g. citizen.read or addresses.review.read')
    .option('--decision <decision>', `only this decision (${DECISIONS.join(', ')}): deny lists the refusals`, decisionOption)
    .option('--after <seq>', 'page on: the last seq seen', wholeNumber(0), 0)
    .option('--limit <n>', 'at most this many (1 to 1000)', wholeNumber(1, 1000), 100)
    .action(action(async (options: DisclosureOptions) => {
      // The period is checked before the database is opened, as before.
      const problem = periodProblem(options);
      if (problem) throw new Error(problem);
      const entries = await withDatabase((db) => listDisclosures(db.pool, options));
      process.stdout.write(entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    }));
  return audit;
}
