/**
 * Webhook subscriptions to citizen account changes, and the events they
 * receive. An event carries the citizen view filtered by the policy for the
 * subscriber's organisation, role and purpose, exactly as a read would be.
 */
import { Type, type Static } from 'typebox';
import { CitizenView } from './citizen-view.js';
import { Nullable, NullableText } from './common.js';
import { Purpose } from './categories.js';

export const EVENT_TYPES = ['citizen.created', 'citizen.updated', 'citizen.merged', 'citizen.split', 'citizen.closed'] as const;
export const EventType = Type.Enum(EVENT_TYPES);
export type EventType = Static<typeof EventType>;

/** A bigint column's id as JSON carries it exactly: beyond, digits are lost and PostgreSQL overflows (a 500, not the caller's 400). */
export const RowId = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

const Url = Type.String({ format: 'uri', maxLength: 2000, description: 'https (http only to a loopback address), no credentials in it' });
const EventTypes = Type.Array(EventType, { minItems: 1, uniqueItems: true });

export const Subscription = Type.Object(
  {
    id: Type.Integer(),
    orgId: Type.Integer({ description: "the subscriber's organisation (its client's)" }),
    clientId: Type.Integer({ description: 'the API client the policy decides as: its role, its organisation' }),
    purpose: Purpose,
    url: Url,
    eventTypes: EventTypes,
    description: Nullable(Type.String()),
    active: Type.Boolean(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
    endedAt: Nullable(Type.String({ format: 'date-time', description: 'when it was ended (DELETE); an ended subscription is final' })),
    deliveries: Type.Object({ pending: Type.Integer(), delivered: Type.Integer(), dead: Type.Integer(), cancelled: Type.Integer() }),
  },
  { $id: 'Subscription' },
);
export type Subscription = Static<typeof Subscription>;

/** Returned once, when a subscription is made or its secret is replaced. */
export const SubscriptionWithSecret = Type.Object(
  { ...Subscription.properties, secret: Type.String({ description: 'signs every delivery (HMAC-SHA256); shown only now' }) },
  { $id: 'SubscriptionWithSecret' },
);
export type SubscriptionWithSecret = Static<typeof SubscriptionWithSecret>;

export const SubscriptionCreate = Type.Object(
  {
    clientId: RowId,
    purpose: Purpose,
    url: Url,
    eventTypes: Type.Optional(EventTypes),
    description: Type.Optional(NullableText({ maxLength: 500 })),
  },
  { $id: 'SubscriptionCreate', additionalProperties: false },
);
export type SubscriptionCreate = Static<typeof SubscriptionCreate>;

export const SubscriptionUpdate = Type.Object(
  {
    purpose: Type.Optional(Purpose),
    url: Type.Optional(Url),
    eventTypes: Type.Optional(EventTypes),
    description: Type.Optional(NullableText({ maxLength: 500 })),
    active: Type.Optional(Type.Boolean({ description: 'false stops deliveries; those not yet made are cancelled' })),
  },
  { $id: 'SubscriptionUpdate', additionalProperties: false },
);
export type SubscriptionUpdate = Static<typeof SubscriptionUpdate>;

/** The body of a delivery. */
export const PublishedEvent = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'the event id, also in X-Hub-Event-Id: the same on every retry; dedupe on it' }),
    type: EventType,
    sequence: Type.Integer({
      description: "this subscription's count of the events it was sent, one after another; order events of one citizen by it. A gap is an event not delivered (dead or cancelled)",
    }),
    occurredAt: Type.String({ format: 'date-time' }),
    subscriptionId: Type.Integer(),
    purpose: Purpose,
    citizenRef: Type.String(),
    mergedRef: Type.Optional(Type.String({ description: 'citizen.merged: the reference merged into citizenRef, which now resolves to it' })),
    citizen: CitizenView,
  },
  { $id: 'PublishedEvent' },
);
export type PublishedEvent = Static<typeof PublishedEvent>;
