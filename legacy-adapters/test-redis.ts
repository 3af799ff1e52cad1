/** Test helpers around testing/redis-server.ts shared by the Pesto test files. */
import type { TestRedis } from '../testing/redis-server.js';

/**
 * stopTestRedis stops a test redis-server and keeps the event loop alive meanwhile: the helper unrefs the child,
 * so once every socket is closed node:test would see an empty loop and cancel the `after` hook mid-await.
 */
export async function stopTestRedis(server: TestRedis): Promise<void> {
  const keepAlive = setInterval(() => undefined, 1_000);
  try {
    await server.stop();
  } finally {
    clearInterval(keepAlive);
  }
}
