/**
 * Webhook subscriptions under /v1/subscriptions: the DPO registers where an
 * organisation's client receives citizen changes, and for which purpose; the
 * policy decides what each event may carry, as for a read by that client,
 * so a purpose that client's role can never use is refused.
 * An admin, who reads no citizen data, runs them but may not send anything
 * anywhere new: list, pause, end, describe and replace a secret, never
 * subscribe, point elsewhere, widen the purpose or event types, or resume.
 * Every change is audited in its own transaction.
 */
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import type pg from 'pg';
import { Type } from 'typebox';
import { PageAfterId, PageLimit, PageNextId } from '../../../schemas/common.js';
import { RowId, Subscription, SubscriptionCreate, SubscriptionUpdate, SubscriptionWithSecret } from '../../../schemas/subscriptions.js';
import { withAudit } from '../../audit/store.js';
import type { AuthenticatedClient } from '../../auth/clients.js';
import { EMERGENCY_PURPOSE, roleMayUse } from '../../policy/decide.js';
import { policyOptions, type PolicyOptions } from '../../policy/options.js';
import { forbiddenHost } from '../../publish/receiver-address.js';
import {
  createSubscription, listSubscriptions, liveClient, replaceSecret, subscriberOf, subscriptionById, SubscriptionEnded, updateSubscription, type Subscriber,
} from '../../publish/subscriptions.js';
import { listAgreements } from '../../register/agreements.js';
import { registerChangeEntry, type RegisterChange } from '../../register/change-entry.js';
import { errorResponses, HubError } from '../errors.js';
import { nextOf } from '../paging.js';
import { clientOf, requireRole } from '../plugins/auth.js';

export interface SubscriptionRouteOptions {
  pool: pg.Pool;
  /** The purpose vocabulary subscriptions must use (HUB_EXTRA_PURPOSES included). */
  policy?: PolicyOptions;
  clock?: () => Date;
}

const MANAGERS = ['dpo', 'admin'] as const;
/** Who decides where and for what citizen data goes. */
const DECIDERS = ['dpo'] as const;
const Id = Type.Object({ id: RowId });
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

const subscriptions: FastifyPluginAsyncTypebox<SubscriptionRouteOptions> = async (app, { pool, policy = policyOptions(), clock = () => new Date() }) => {
  /** Runs one change and its audit entry in one transaction. */
  const change = <T>(request: FastifyRequest, client: AuthenticatedClient, fn: (db: pg.PoolClient) => Promise<{ result: T; change: RegisterChange }>) =>
    withAudit(pool, async (db) => {
      try {
        const { result, change: what } = await fn(db);
        return { result, entries: [registerChangeEntry(client, String(request.id), clock(), what)] };
      } catch (error) {
        if (error instanceof SubscriptionEnded) throw new HubError('conflict', error.message);
        throw error;
      }
    });

  const checkPurpose = (purpose: string | undefined) => {
    if (purpose === undefined) return;
    if (!policy.purposes.includes(purpose)) throw new HubError('validation-failed', `purpose is not a known purpose; use one of: ${policy.purposes.join(', ')}`);
    // Break-glass is a person's decision in an emergency, with a reason, never a standing feed.
    if (purpose === EMERGENCY_PURPOSE) throw new HubError('validation-failed', 'purpose emergency cannot be subscribed to');
  };

  // A purpose the subscriber's role can never use would have every event refused by the policy: nothing would ever be delivered.
  const checkSubscriberMayUse = async (subscriber: Subscriber, purpose: string) => {
    if (roleMayUse(subscriber, purpose, await listAgreements(pool, { org: subscriber.orgId }), policy)) return;
    const allowed = policy.rolePurposes[subscriber.role] ?? [];
    const message = `role ${subscriber.role} of client ${subscriber.id} may not use purpose ${purpose}: `
      + `its role's purposes are ${allowed.length ? allowed.join(', ') : 'none'}, and no sharing agreement with organisation ${subscriber.orgId} as a recipient names the role for ${purpose}`;
    throw new HubError('validation-failed', `purpose: ${message}; the subscription would never deliver anything`, [{ path: 'body.purpose', message }]);
  };

  // Events carry personal data: only TLS, except to a receiver on this machine; credentials belong in the signature, not the URL.
  const checkUrl = (raw: string | undefined) => {
    if (raw === undefined) return;
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw new HubError('validation-failed', 'url is not a URL');
    }
    if (url.username || url.password) throw new HubError('validation-failed', 'url must not carry a user name or password');
    if (forbiddenHost(url)) throw new HubError('validation-failed', 'url must not be a link-local, unspecified, multicast or broadcast address');
    if (url.protocol === 'https:') return;
    if (url.protocol === 'http:' && LOOPBACK.has(url.hostname)) return;
    throw new HubError('validation-failed', 'url must be https (http only to localhost)');
  };

  app.post('/v1/subscriptions', {
    config: { roles: DECIDERS },
    schema: {
      tags: ['subscriptions'], summary: 'Subscribe a client to citizen changes (webhook); the signing secret is in this answer only',
      body: SubscriptionCreate, response: { 201: SubscriptionWithSecret, ...errorResponses },
    },
  }, async (request, reply) => {
    const client = clientOf(request);
    checkPurpose(request.body.purpose);
    checkUrl(request.body.url);
    const subscriber = await liveClient(pool, request.body.clientId);
    if (!subscriber) throw new HubError('validation-failed', `no live API client ${request.body.clientId}`);
    await checkSubscriberMayUse(subscriber, request.body.purpose);
    const created = await change(request, client, async (db) => {
      const { subscription, secret } = await createSubscription(db, { ...request.body, orgId: subscriber.orgId }, client.id);
      return { result: { ...subscription, secret }, change: { action: 'subscription.create', before: null, after: subscription } };
    });
    return reply.code(201).send(created);
  });

  app.get('/v1/subscriptions', {
    config: { roles: MANAGERS },
    schema: {
      tags: ['subscriptions'], summary: 'Subscriptions, with their deliveries so far (never their secrets), in id order',
      description: 'A page of at most `limit`; the next page is the one `after` the last id of this one (`next`, given while a page is full), until a page comes back short. '
        + 'A parameter the route does not take is refused (400): a misspelt `after` ignored would give the first page again.',
      querystring: Type.Object({
        org: Type.Optional(RowId), active: Type.Optional(Type.Boolean()),
        after: PageAfterId, limit: PageLimit,
      }),
      response: { 200: Type.Object({ subscriptions: Type.Array(Subscription), next: PageNextId }), ...errorResponses },
    },
  }, async (request) => {
    const { after, limit, ...filter } = request.query;
    const subscriptions = await listSubscriptions(pool, filter, { after, limit });
    return { subscriptions, ...nextOf(subscriptions, limit, (s) => s.id) };
  });

  app.get('/v1/subscriptions/:id', {
    config: { roles: MANAGERS },
    schema: { tags: ['subscriptions'], summary: 'One subscription', params: Id, response: { 200: Subscription, ...errorResponses } },
  }, async (request) => {
    const found = await subscriptionById(pool, request.params.id);
    if (!found) throw new HubError('not-found', `no subscription ${request.params.id}`);
    return found;
  });

  app.patch('/v1/subscriptions/:id', {
    config: { roles: MANAGERS },
    schema: {
      tags: ['subscriptions'], summary: 'Change the purpose, URL, event types or description, or (de)activate; deactivating cancels deliveries not yet made',
      params: Id, body: SubscriptionUpdate, response: { 200: Subscription, ...errorResponses },
    },
  }, async (request) => {
    const client = clientOf(request);
    // Anything that could send data somewhere new, or more of it, is the DPO's.
    const { url, purpose, eventTypes, active } = request.body;
    if (url !== undefined || purpose !== undefined || eventTypes !== undefined || active === true) requireRole(client, DECIDERS);
    checkPurpose(request.body.purpose);
    checkUrl(request.body.url);
    // Resuming counts too: the purpose may have been given before this check existed, or the role's purposes changed since.
    if (purpose !== undefined || active === true) {
      const subscriber = await subscriberOf(pool, request.params.id);
      if (subscriber) await checkSubscriberMayUse(subscriber, purpose ?? subscriber.purpose);
    }
    return change(request, client, async (db) => {
      const changed = await updateSubscription(db, request.params.id, request.body);
      if (!changed) throw new HubError('not-found', `no subscription ${request.params.id}`);
      return { result: changed.after, change: { action: 'subscription.update', before: changed.before, after: changed.after } };
    });
  });

  app.delete('/v1/subscriptions/:id', {
    config: { roles: MANAGERS },
    schema: {
      tags: ['subscriptions'], summary: 'End a subscription for good: no further events, deliveries not yet made are cancelled; its history stays. '
        + 'To stop it for a while, PATCH active false instead',
      params: Id, response: { 204: Type.Null(), ...errorResponses },
    },
  }, async (request, reply) => {
    const client = clientOf(request);
    await change(request, client, async (db) => {
      const changed = await updateSubscription(db, request.params.id, { end: true });
      if (!changed) throw new HubError('not-found', `no subscription ${request.params.id}`);
      return { result: null, change: { action: 'subscription.end', before: changed.before, after: changed.after } };
    });
    return reply.code(204).send(null);
  });

  app.post('/v1/subscriptions/:id/secret', {
    config: { roles: MANAGERS },
    schema: {
      tags: ['subscriptions'], summary: 'Replace the signing secret; the new one is in this answer only and signs every delivery from now on',
      params: Id, response: { 200: SubscriptionWithSecret, ...errorResponses },
    },
  }, async (request) => {
    const client = clientOf(request);
    return change(request, client, async (db) => {
      const replaced = await replaceSecret(db, request.params.id);
      if (!replaced) throw new HubError('not-found', `no subscription ${request.params.id}`);
      // The audit records that the secret changed, never the secret.
      return { result: { ...replaced.subscription, secret: replaced.secret }, change: { action: 'subscription.secret', before: null, after: replaced.subscription } };
    });
  });
};
export default subscriptions;
