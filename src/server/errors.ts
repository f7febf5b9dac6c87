/**
 * Errors the API answers with, as RFC 9457 problem details. `code` is stable:
 * clients may branch on it; `detail` is for people and may change.
 */
import { Type, type Static } from 'typebox';

export const ERROR_CODES = {
  'bad-request': 400,
  'validation-failed': 400,
  'purpose-required': 400,
  /** A JSON body with a `__proto__` property, or a `constructor` holding `prototype`: valid JSON, refused as prototype poisoning. */
  'forbidden-property-name': 400,
  unauthorised: 401,
  forbidden: 403,
  /** A key of a council role (admin, dpo, steward) whose organisation is a partner: those roles act for the council only. */
  'council-organisation-required': 403,
  'not-found': 404,
  /** The path exists, not with this method: the answer's Allow header names those it has. */
  'method-not-allowed': 405,
  conflict: 409,
  /** An ended agreement is final: it takes no new version, whatever the change. */
  'agreement-ended': 409,
  /** An agreement's status cannot go from its current one to the one asked for (draft → suspended, back to draft). */
  'status-transition-not-allowed': 409,
  /** A steward's address decision names a property on another street, under a postcode of another sector, than the input: confirm it to make it. */
  'decision-contradicts-input': 409,
  'payload-too-large': 413,
  'unsupported-media-type': 415,
  /** A Content-Encoding of the request body other than gzip, deflate and br (the answer's Accept-Encoding names them). */
  'unsupported-content-encoding': 415,
  'rate-limited': 429,
  'internal-error': 500,
  /** An audit entry's stored parts are missing (tampering as the database superuser): verify locates the break. */
  'audit-trail-damaged': 500,
  'service-unavailable': 503,
  /** This process is stopping; another instance (or this one, restarted) will answer. */
  'shutting-down': 503,
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    code: Type.String(),
    detail: Type.String(),
    instance: Type.String(),
    requestId: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details with a stable error code' },
);
export type Problem = Static<typeof Problem>;

export class HubError extends Error {
  readonly statusCode: number;
  constructor(
    readonly code: ErrorCode,
    detail: string,
    readonly errors?: { path: string; message: string }[],
  ) {
    super(detail);
    this.name = 'HubError';
    this.statusCode = ERROR_CODES[code];
  }
}

export const problemType = (code: string) => `https://citizen-hub.org.uk/problems/${code}`;

/** The usual error responses for a route's schema. */
export const errorResponses = {
  '4xx': Type.Ref('Problem'),
  '5xx': Type.Ref('Problem'),
};
