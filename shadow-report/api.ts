/**
 * The diff admin API: summaries with patterns and coverage, samples by class, pattern or id, and what was learned as
 * noise. Registered on the admin fastify app, which authenticates every request before these handlers run.
 * Errors answer `{ error: { code, message } }` with a DIFF_* code (docs/errors.md).
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { DiffStore } from './types.js';
import type { NoiseLearner } from './noise-learner.js';
import { DIFF_ERRORS, DiffError, type DiffErrorCode } from './errors.js';

/** DEFAULT_SAMPLE_LIMIT is how many samples a request without `limit` gets; MAX_SAMPLE_LIMIT caps `limit`. */
export const DEFAULT_SAMPLE_LIMIT = 20;
export const MAX_SAMPLE_LIMIT = 200;

/** DiffApiOptions: the store (or a getter, when the store is replaced on a config reload) and the noise learner. */
export interface DiffApiOptions {
  store: DiffStore | (() => DiffStore | undefined);
  learner?: NoiseLearner;
}

function sendError(reply: FastifyReply, code: DiffErrorCode, detail?: string): FastifyReply {
  return reply.code(DIFF_ERRORS[code].status).type('application/json').send({ error: { code, message: detail ?? DIFF_ERRORS[code].message } });
}

/** parseLimit reads `limit`: absent → DEFAULT_SAMPLE_LIMIT, a positive integer → at most MAX_SAMPLE_LIMIT, else undefined. */
function parseLimit(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return DEFAULT_SAMPLE_LIMIT;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) return undefined;
  return Math.min(MAX_SAMPLE_LIMIT, Number(raw));
}

/** A query parameter given once (fastify gives an array for a repeated one: the first wins). */
function one(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

interface RouteParams { route: string }
interface SampleQuerystring { class?: string | string[]; pattern?: string | string[]; limit?: string | string[] }

/**
 * registerDiffApi adds, on `app`:
 * - GET /api/diffs → `{ routes: RouteSummary[] }`
 * - GET /api/diffs/:route/samples?class=&pattern=&limit= → `{ route, samples }` (newest first)
 * - GET /api/diffs/:route/samples/:id → one Sample, 404 DIFF_SAMPLE_NOT_FOUND
 * - GET /api/diffs/:route/noise → `{ route, learned: LearnedPath[], legacyPairs }`
 * A store that cannot be read answers 503 DIFF_STORE_UNAVAILABLE.
 */
export function registerDiffApi(app: FastifyInstance, opts: DiffApiOptions): void {
  const given = opts.store;
  const store: () => DiffStore | undefined = typeof given === 'function' ? given : () => given;

  async function guarded<T>(reply: FastifyReply, read: (s: DiffStore | undefined) => Promise<T>): Promise<T | FastifyReply> {
    try {
      return await read(store());
    } catch (error) {
      if (error instanceof DiffError) return sendError(reply, error.code, error.message);
      throw error;
    }
  }

  app.get('/api/diffs', async (_request, reply) => guarded(reply, async (s) => ({ routes: s === undefined ? [] : await s.summaries() })));

  app.get<{ Params: RouteParams; Querystring: SampleQuerystring }>('/api/diffs/:route/samples', async (request, reply) => {
    const limit = parseLimit(one(request.query.limit));
    if (limit === undefined) return sendError(reply, 'DIFF_BAD_QUERY', 'limit must be a positive integer');
    const cls = one(request.query.class);
    const pattern = one(request.query.pattern);
    const { route } = request.params;
    return guarded(reply, async (s) => ({
      route,
      samples: s === undefined ? [] : await s.samples(route, { limit, ...(cls === undefined ? {} : { class: cls }), ...(pattern === undefined ? {} : { pattern }) }),
    }));
  });

  app.get<{ Params: RouteParams & { id: string } }>('/api/diffs/:route/samples/:id', async (request, reply) => guarded(reply, async (s) => {
    const sample = s === undefined ? undefined : await s.sample(request.params.route, request.params.id);
    return sample ?? sendError(reply, 'DIFF_SAMPLE_NOT_FOUND', `no sample ${request.params.id} on route ${request.params.route}`);
  }));

  app.get<{ Params: RouteParams }>('/api/diffs/:route/noise', async (request) => {
    const { route } = request.params;
    return {
      route,
      learned: opts.learner?.learned(route) ?? [],
      legacyPairs: opts.learner?.legacyPairs(route) ?? { measured: 0, refused: 0 },
    };
  });
}
