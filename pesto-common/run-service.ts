/** runService is the shared standalone entry: read PORT/HOST/REDIS_URL, listen, close cleanly on SIGTERM/SIGINT. */
import type { FastifyInstance } from 'fastify';

/** DEFAULT_REDIS_URL matches the legacy services' default (`redis://@localhost:6379`). */
export const DEFAULT_REDIS_URL = 'redis://localhost:6379';

/** runService starts the app built by `build` on `PORT` (or `defaultPort`) and `HOST` (default 0.0.0.0). */
export async function runService(name: string, build: (redisUrl: string) => FastifyInstance, defaultPort: number): Promise<void> {
  const app = build(process.env.REDIS_URL ?? DEFAULT_REDIS_URL);
  const port = Number.parseInt(process.env.PORT ?? String(defaultPort), 10);
  const host = process.env.HOST ?? '0.0.0.0';
  const stop = async (signal: string) => {
    app.log.warn({ signal }, `${name} stopping`);
    await app.close();
    process.exit(0);
  };
  process.once('SIGTERM', (signal) => void stop(signal));
  process.once('SIGINT', (signal) => void stop(signal));
  await app.listen({ port, host });
  app.log.warn({ port, host }, `${name} listening`);
}
