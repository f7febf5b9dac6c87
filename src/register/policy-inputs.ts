/**
 * Everything the policy engine needs from the register for one read, in one
 * round trip: the agreements naming the caller's organisation, and the
 * consents, objections and restrictions of the citizens asked about.
 */
import type pg from 'pg';
import type { SharingAgreement } from '../../schemas/register.js';
import type { CitizenRegister } from '../policy/decide.js';
import { AGREEMENT_COLUMNS, agreementOf, type AgreementRow } from './agreements.js';
import {
  CONSENT, OBJECTION, RESTRICTION, consentOf, groupRegisters, objectionOf, restrictionOf, withAliases,
  type ConsentRow, type ObjectionRow, type RestrictionRow,
} from './citizen-records.js';

export interface PolicyInputs {
  agreements: SharingAgreement[];
  registers: Map<string, CitizenRegister>;
  /** The agreements' version (migration 020) in the same snapshot; null without the row. */
  agreementsVersion: number | null;
}

const aggregate = (columns: string, from: string) =>
  `(SELECT coalesce(json_agg(t ORDER BY t.id), '[]') FROM (SELECT ${columns} FROM ${from}) t)`;

const SQL = `SELECT
  (SELECT agreements FROM register_version) AS agreements_version,
  ${aggregate(AGREEMENT_COLUMNS, 'sharing_agreement WHERE current AND recipient_org_ids @> ARRAY[$1::bigint]')} AS agreements,
  ${aggregate(CONSENT, 'consent WHERE citizen_ref = ANY($2::text[])')} AS consents,
  ${aggregate(OBJECTION, 'objection WHERE citizen_ref = ANY($2::text[])')} AS objections,
  ${aggregate(RESTRICTION, 'restriction WHERE citizen_ref = ANY($2::text[])')} AS restrictions`;

export async function policyInputs(
  db: pg.Pool | pg.PoolClient,
  orgId: number,
  refs: readonly string[],
  aliases: ReadonlyMap<string, readonly string[]> = new Map(),
): Promise<PolicyInputs> {
  const { rows } = await db.query<{ agreements_version: number | null; agreements: AgreementRow[]; consents: ConsentRow[]; objections: ObjectionRow[]; restrictions: RestrictionRow[] }>(
    { name: 'policy-inputs', text: SQL, values: [orgId, withAliases(refs, aliases)] },
  );
  const row = rows[0]!;
  return {
    agreementsVersion: row.agreements_version,
    agreements: row.agreements.map(agreementOf),
    registers: groupRegisters(refs, aliases, {
      consents: row.consents.map(consentOf),
      objections: row.objections.map(objectionOf),
      restrictions: row.restrictions.map(restrictionOf),
    }),
  };
}
