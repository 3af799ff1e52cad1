/**
 * The intended API changes of the Pesto rewrite, each named once. The contract suite cites them (a difference between
 * legacy and rewrite without a name here fails the suite) and pesto-routes.ts turns the gateway-visible ones into
 * `compare.accept` entries, so "what we meant to change" has one source.
 */
import type { Static } from '@sinclair/typebox';
import type { AcceptedDifferenceSchema } from '../proxy/config/schema.js';

/** AcceptedDifference is one `compare.accept` entry of figway's config. */
export type AcceptedDifference = Static<typeof AcceptedDifferenceSchema>;

/** IntendedChange is one deliberate difference of the rewrite. */
export interface IntendedChange {
  /** The expectation's name as tests show it. */
  name: string;
  service: 'auth' | 'registration';
  /** Finding paths the gateway may accept for it (without the reason, which is the name). Empty: not accepted, see `why`. */
  accept: Array<Omit<AcceptedDifference, 'reason'>>;
  /** Why there is no accept entry, when there is none. */
  why?: string;
}

const SCOPE = 'accept rules scope by method and path, not by request header or status, so accepting it would hide the same finding on every request of the endpoint';

/** INTENDED_CHANGES lists every deliberate difference, keyed by a stable id. */
export const INTENDED_CHANGES = {
  'auth-empty-token': { name: 'rewrite treats an empty X-Pesto-Token as not registered', service: 'auth', accept: [], why: `a body.message accept would also hide real message swaps; ${SCOPE}` },
  'auth-success-content-type': { name: 'rewrite answers text/plain on a successful auth', service: 'auth', accept: [{ path: 'header.content-type', class: 'header' }] },
  'auth-no-sentry-headers': { name: 'rewrite sends no Sentry-Trace/Baggage headers', service: 'auth', accept: [{ path: 'header.sentry-trace' }, { path: 'header.baggage' }] },
  'auth-sync-increment': { name: 'rewrite increments the counter before answering', service: 'auth', accept: [], why: 'not visible once settleMs has passed' },
  'auth-trial-any-case': { name: 'rewrite skips the counter for trial emails in any letter case', service: 'auth', accept: [], why: `only mixed-case trial addresses differ; ${SCOPE}` },
  'auth-any-method': { name: 'rewrite accepts any method on /', service: 'auth', accept: [], why: 'the auth route only matches GET (forward-auth always sends GET)' },
  'auth-root-only': { name: 'rewrite serves only the path /', service: 'auth', accept: [], why: 'forward-auth calls only /; a status difference is never accepted' },
  'auth-fixed-500-message': { name: 'rewrite answers a fixed {"message":"Internal server error"} on 500', service: 'auth', accept: [], why: `a body.message accept would also hide 401/429 message regressions; ${SCOPE}` },
  'auth-strict-record': { name: 'rewrite reads the token record case-exactly with all fields required', service: 'auth', accept: [], why: 'this is exactly where #172 showed: a difference must stay visible' },
  'auth-healthz-no-ping': { name: 'rewrite answers /healthz without pinging Redis', service: 'auth', accept: [], why: '/healthz is not routed through the gateway' },
  'register-json-message': { name: 'rewrite answers JSON {"message"} on register', service: 'registration', accept: [{ path: 'body', methods: ['POST'], pathPrefix: '/api/register' }, { path: 'body.message', methods: ['POST'], pathPrefix: '/api/register' }, { path: 'header.location', methods: ['POST'], pathPrefix: '/api/register' }] },
  'register-no-email-validation': { name: 'rewrite does not validate the email format on register', service: 'registration', accept: [], why: 'a status difference is never accepted' },
  'register-building-optional': { name: 'rewrite accepts a missing building and stores null', service: 'registration', accept: [], why: 'a status difference is never accepted' },
  'register-calls-required': { name: 'rewrite requires calls on register', service: 'registration', accept: [], why: 'a status difference is never accepted' },
  'registration-case-sensitive-names': { name: 'rewrite matches JSON field names case-sensitively', service: 'registration', accept: [], why: 'a status difference is never accepted' },
  'registration-plain-text-rejections': { name: 'rewrite rejects unreadable bodies with plain-text 400/415/422 instead of problem details', service: 'registration', accept: [{ path: 'header.content-type', class: 'header' }], why: 'only the content-type is accepted: the body of a rejection cannot be scoped (rules scope by method and path, not status), and the status difference (400 vs 415/422) stays visible' },
  'registration-content-type': { name: 'rewrite answers application/json without a charset', service: 'registration', accept: [{ path: 'header.content-type', class: 'header' }] },
  'approve-json-message': { name: 'rewrite answers JSON {"message"} on approve', service: 'registration', accept: [{ path: 'body', methods: ['PUT'], pathPrefix: '/api/approve' }, { path: 'body.message', methods: ['PUT'], pathPrefix: '/api/approve' }] },
  'approve-sends-email': { name: 'rewrite mails the token to the approved user', service: 'registration', accept: [], why: 'mail leaves no trace in answers or Redis (#174 is caught by tests, not the gateway)' },
  'approve-refuses-existing-token': { name: 'rewrite refuses to approve a token that already exists', service: 'registration', accept: [], why: 'a status difference is never accepted' },
  'approve-pascal-aliases': { name: 'rewrite accepts PascalCase aliases (Token, UserEmail, MonthlyLimit) on approve', service: 'registration', accept: [], why: 'a status difference is never accepted' },
  'revoke-json-message': { name: 'rewrite answers JSON {"message"} on revoke', service: 'registration', accept: [{ path: 'body', methods: ['PUT'], pathPrefix: '/api/revoke' }, { path: 'body.message', methods: ['PUT'], pathPrefix: '/api/revoke' }] },
  'revoke-keeps-limit': { name: 'rewrite keeps MonthlyLimit on revoke', service: 'registration', accept: [{ path: 'redis.token.MonthlyLimit', class: 'value', methods: ['PUT'], pathPrefix: '/api/revoke' }] },
  'revoke-token-only': { name: 'rewrite takes only {"token"} on revoke', service: 'registration', accept: [], why: 'a status difference is never accepted' },
  'trial-token-object': { name: 'rewrite answers trial as {"token"}', service: 'registration', accept: [{ path: 'body', methods: ['POST'], pathPrefix: '/api/trial' }, { path: 'body.token', methods: ['POST'], pathPrefix: '/api/trial' }] },
  'registration-healthz-text': { name: 'rewrite answers OK on registration /healthz without pinging Redis', service: 'registration', accept: [], why: '/healthz is not routed through the gateway' },
} as const satisfies Record<string, IntendedChange>;

/** IntendedChangeId is the id of one intended change. */
export type IntendedChangeId = keyof typeof INTENDED_CHANGES;

/** INTENDED_CHANGE_IDS lists the ids in declaration order. */
export const INTENDED_CHANGE_IDS = Object.keys(INTENDED_CHANGES) as IntendedChangeId[];

/** acceptEntriesFor turns the changes of one service into deduplicated `compare.accept` entries whose reason names every change. */
export function acceptEntriesFor(service: IntendedChange['service']): AcceptedDifference[] {
  const byKey = new Map<string, AcceptedDifference>();
  for (const id of INTENDED_CHANGE_IDS) {
    const change: IntendedChange = INTENDED_CHANGES[id];
    if (change.service !== service) continue;
    for (const entry of change.accept) {
      const key = JSON.stringify([entry.path, entry.class ?? '', entry.methods ?? [], entry.pathPrefix ?? '']);
      const existing = byKey.get(key);
      if (existing === undefined) byKey.set(key, { ...entry, reason: `intended: ${change.name}` });
      else existing.reason = `${existing.reason}; ${change.name}`;
    }
  }
  return [...byKey.values()];
}
