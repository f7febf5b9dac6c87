/**
 * A delivery's body was decided when it was published, but the delivery can
 * wait: in the queue, through retries with backoff, as a dead letter sent
 * again. A consent withdrawn, an objection or a restriction recorded, an
 * agreement suspended or ended, the subscription's purpose changed or its
 * client revoked take effect on the next request, and each attempt is one.
 * So every attempt is decided again, as a read by the subscriber's client
 * for the subscription's purpose would be now; it goes only if that still
 * permits everything the body carries.
 */
import type pg from 'pg';
import type { PublishedEvent } from '../../schemas/subscriptions.js';
import type { Role } from '../../schemas/roles.js';
import type { CitizenSource } from '../citizens/source.js';
import { decide, type Decision } from '../policy/decide.js';
import { disclosedCategories, namesAsMember } from '../policy/filter.js';
import type { PolicyOptions } from '../policy/options.js';
import { policyInputs } from '../register/policy-inputs.js';

export interface RecheckContext {
  policy: PolicyOptions;
  /** Finds the references merged into a citizen, whose consents, objections and restrictions count too. */
  source: Pick<CitizenSource, 'mergedInto'>;
  clock: () => Date;
}

/** The subscription and its client as they stand at this attempt. */
export interface Recipient {
  clientId: number;
  orgId: number;
  role: Role;
  purpose: string;
  clientLive: boolean;
  /** The event's account as it stands: `active`, `merged` (into another), `closed`; null when there is none. */
  citizenStatus: string | null;
}

/**
 * Why the event's account no longer stands for this event, as the fan-out decides (STANDS in fanout.ts): an account
 * merged away since has nothing to show (the survivor's citizen.merged tells), and a closed one shows only its closing.
 */
function accountGone(status: string | null, type: PublishedEvent['type']): string | null {
  switch (status) {
    case 'active': return null;
    case 'closed': return type === 'citizen.closed' ? null : 'not sent: the account was closed since';
    case 'merged': return 'not sent: the account was merged into another since';
    default: return 'not sent: the account no longer exists';
  }
}

const aliasesOf = async (source: RecheckContext['source'], refs: readonly string[]): Promise<Map<string, string[]>> =>
  new Map(await Promise.all(refs.map(async (ref) => [ref, source.mergedInto ? await source.mergedInto(ref) : []] as const)));

/** Why this attempt may not send the body, in words without personal data; null when it may. */
export async function refusal(db: pg.Pool, ctx: RecheckContext, recipient: Recipient, body: string): Promise<string | null> {
  if (!recipient.clientLive) return "not sent: the subscriber's client is revoked";
  const event = JSON.parse(body) as PublishedEvent;
  const gone = accountGone(recipient.citizenStatus, event.type);
  if (gone !== null) return gone;
  const members = (event.citizen.household ?? []).map((m) => m.citizenRef);
  const refs = [event.citizenRef, ...members];
  const { agreements, registers } = await policyInputs(db, recipient.orgId, refs, await aliasesOf(ctx.source, refs));
  const now = ctx.clock();
  const decisionOf = (ref: string): Decision => decide({
    caller: { clientId: recipient.clientId, orgId: recipient.orgId, role: recipient.role }, purpose: recipient.purpose,
    citizen: registers.get(ref)!, agreements, breakGlass: null, options: ctx.policy, now,
  });
  const decision = decisionOf(event.citizenRef);
  const carried = disclosedCategories(event.citizen);
  // A household member is named only while the subscriber may see the member's identity and address, as in a read.
  const allowed = decision.anyPermitted && carried.every((c) => decision.permitted.includes(c))
    && members.every((ref) => namesAsMember(decisionOf(ref)));
  return allowed ? null : 'not sent: the policy no longer permits what this event carries';
}
