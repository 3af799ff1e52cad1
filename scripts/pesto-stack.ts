/**
 * startPestoStack runs the whole Pesto side of the demo in-process: both auths, both registrations and the mail
 * sink on 127.0.0.1 ephemeral ports, plus (with `shadowRedisUrl`) a shadow twin of each Pesto service against its
 * own store, for figway's isolated mirroring.
 */
import type { FastifyInstance } from 'fastify';
import { createLegacyAuth } from '../legacy-adapters/auth/service.js';
import { createLegacyRegistration } from '../legacy-adapters/registration/service.js';
import { createNewAuth } from '../new-services/auth/service.js';
import { createMailSink } from '../new-services/mail-sink/service.js';
import { createNewRegistration } from '../new-services/registration/service.js';
import { parseRegressions } from '../new-services/regressions.js';

/** PestoStackOptions configure the in-process stack. */
export interface PestoStackOptions {
  redisUrl: string;
  /** When given, a shadow instance of each Pesto service runs against this store. */
  shadowRedisUrl?: string;
  /** Regression switches of the rewrites (validated up front). Default none. */
  regressions?: readonly string[];
  /** Bind address. Default 127.0.0.1. */
  host?: string;
  /** Log level of every service. Default `warn` (or LOG_LEVEL). */
  logLevel?: string;
}

/** PestoStackUrls are the base URLs of one set of the four services. */
export interface PestoStackUrls {
  legacyAuth: string;
  newAuth: string;
  legacyRegistration: string;
  newRegistration: string;
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
  const listen = async (app: FastifyInstance): Promise<string> => {
    apps.push(app);
    const address = await app.listen({ port: 0, host });
    return address.replace('0.0.0.0', '127.0.0.1');
  };
  const stop = async () => {
    await Promise.allSettled(apps.reverse().map((app) => app.close()));
  };
  const startSet = async (redisUrl: string, mailSink: string): Promise<PestoStackUrls> => ({
    legacyAuth: await listen(createLegacyAuth({ redisUrl, ...(logLevel !== undefined ? { logLevel } : {}) })),
    newAuth: await listen(createNewAuth({ redisUrl, regressions, ...(logLevel !== undefined ? { logLevel } : {}) })),
    legacyRegistration: await listen(createLegacyRegistration({ redisUrl, ...(logLevel !== undefined ? { logLevel } : {}) })),
    newRegistration: await listen(createNewRegistration({
      redisUrl, regressions, mailer: { transport: 'capture', url: mailSink }, ...(logLevel !== undefined ? { logLevel } : {}),
    })),
  });
  try {
    const mailSink = await listen(createMailSink(logLevel !== undefined ? { logLevel } : {}));
    const primary = await startSet(options.redisUrl, mailSink);
    const shadow = options.shadowRedisUrl !== undefined ? await startSet(options.shadowRedisUrl, mailSink) : undefined;
    return { urls: { ...primary, mailSink, ...(shadow !== undefined ? { shadow } : {}) }, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
