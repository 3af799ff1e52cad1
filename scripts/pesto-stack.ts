/**
 * startPestoStack runs the whole Pesto side of the demo in-process: both auths, both registrations and the mail
 * sink on 127.0.0.1 ephemeral ports, plus (with `shadowRedisUrls`) a shadow twin of each Pesto service against its
 * own store, for figway's isolated or dual mirroring.
 */
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { destination } from 'pino';
import { createLegacyAuth } from '../legacy-adapters/auth/service.js';
import { createLegacyRegistration } from '../legacy-adapters/registration/service.js';
import { createNewAuth } from '../new-services/auth/service.js';
import { createMailSink } from '../new-services/mail-sink/service.js';
import { createNewRegistration } from '../new-services/registration/service.js';
import { parseRegressions } from '../new-services/regressions.js';

/** LogFile is an asynchronous pino file destination. */
type LogFile = ReturnType<typeof destination>;

/** PestoStackOptions configure the in-process stack. */
export interface PestoStackOptions {
  redisUrl: string;
  /** When given, a shadow instance of each Pesto service runs against its own store (see shadowStoreUrls). */
  shadowRedisUrls?: PestoStoreUrls;
  /** Regression switches of the rewrites (validated up front). Default none. */
  regressions?: readonly string[];
  /** Bind address. Default 127.0.0.1. */
  host?: string;
  /** Log level of every service. Default `warn` (or LOG_LEVEL). */
  logLevel?: string;
  /** Write each service's log to `<logDirectory>/<service>.log` instead of stdout (the demo's terminal stays readable). */
  logDirectory?: string;
}

/** PestoStackUrls are the base URLs of one set of the four services. */
export interface PestoStackUrls {
  legacyAuth: string;
  newAuth: string;
  legacyRegistration: string;
  newRegistration: string;
}

/** PestoStoreUrls give each of the four services a store (shadow twins must not share one: figway compares them). */
export type PestoStoreUrls = Record<keyof PestoStackUrls, string>;

/** shadowStoreUrls puts the four shadow stores on logical databases 1–4 of one Redis server (`redis://host:port`). */
export function shadowStoreUrls(server: string): PestoStoreUrls {
  const at = (db: number): string => {
    const url = new URL(server);
    url.pathname = `/${db}`;
    return url.toString();
  };
  return { legacyAuth: at(1), newAuth: at(2), legacyRegistration: at(3), newRegistration: at(4) };
}

/** PestoStack is a running stack. */
export interface PestoStack {
  urls: PestoStackUrls & { mailSink: string; shadow?: PestoStackUrls };
  stop(): Promise<void>;
}

/** startPestoStack starts the stack; on a failed start everything already started is stopped again. */
export async function startPestoStack(options: PestoStackOptions): Promise<PestoStack> {
  const host = options.host ?? '127.0.0.1';
  const regressions = parseRegressions(options.regressions);
  const logLevel = options.logLevel;
  const apps: FastifyInstance[] = [];
  const logFiles: LogFile[] = [];
  const listen = async (app: FastifyInstance): Promise<string> => {
    apps.push(app);
    const address = await app.listen({ port: 0, host });
    return address.replace('0.0.0.0', '127.0.0.1');
  };
  const stop = async () => {
    await Promise.allSettled(apps.reverse().map((app) => app.close()));
    await Promise.allSettled(logFiles.map((file) => new Promise((resolve) => { file.once('close', resolve); file.end(); })));
  };
  /** logging gives one service its level and, with a log directory, its own file. */
  const logging = (service: string): { logLevel?: string; logStream?: LogFile } => {
    const logStream = options.logDirectory === undefined ? undefined : destination({ dest: join(options.logDirectory, `${service}.log`), mkdir: true, sync: false });
    if (logStream !== undefined) logFiles.push(logStream);
    return { ...(logLevel !== undefined ? { logLevel } : {}), ...(logStream !== undefined ? { logStream } : {}) };
  };
  const startSet = async (stores: PestoStoreUrls, mailSink: string, prefix: string): Promise<PestoStackUrls> => ({
    legacyAuth: await listen(createLegacyAuth({ redisUrl: stores.legacyAuth, ...logging(`${prefix}legacy-auth`) })),
    newAuth: await listen(createNewAuth({ redisUrl: stores.newAuth, regressions, ...logging(`${prefix}new-auth`) })),
    legacyRegistration: await listen(createLegacyRegistration({ redisUrl: stores.legacyRegistration, ...logging(`${prefix}legacy-registration`) })),
    newRegistration: await listen(createNewRegistration({
      redisUrl: stores.newRegistration, regressions, mailer: { transport: 'capture', url: mailSink }, ...logging(`${prefix}new-registration`),
    })),
  });
  const shared = options.redisUrl;
  try {
    const mailSink = await listen(createMailSink(logging('mail-sink')));
    // Pesto's four services share one production Redis.
    const primary = await startSet({ legacyAuth: shared, newAuth: shared, legacyRegistration: shared, newRegistration: shared }, mailSink, '');
    const shadow = options.shadowRedisUrls !== undefined ? await startSet(options.shadowRedisUrls, mailSink, 'shadow-') : undefined;
    return { urls: { ...primary, mailSink, ...(shadow !== undefined ? { shadow } : {}) }, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
