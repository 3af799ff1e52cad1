import { spawn, type ChildProcess } from 'node:child_process';
import { createConnection, createServer } from 'node:net';
import { once } from 'node:events';

/** A redis-server started for one test run, on a free port, keeping nothing on disk. */
export interface TestRedis {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` — append `/<db>` for another logical database. */
  readonly url: string;
  stop(): Promise<void>;
}

/** freePort asks the kernel for an unused 127.0.0.1 port. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    let reply = '';
    socket.setTimeout(500, () => { socket.destroy(); resolve(false); });
    socket.on('error', () => resolve(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('\r\n')) { socket.end(); resolve(reply.startsWith('+PONG')); }
    });
  });
}

/** spawnRedis starts redis-server on `port` and resolves once it answers PING, or undefined when it does not. */
async function spawnRedis(port: number): Promise<TestRedis | undefined> {
  const binary = process.env.REDIS_SERVER_BIN ?? 'redis-server';
  const child: ChildProcess = spawn(binary, [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--databases', '16', '--loglevel', 'warning',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let spawnError: Error | undefined;
  let stderr = '';
  child.once('error', (error) => { spawnError = error; });
  // Drain stderr (an unread pipe keeps the event loop alive after the child exits); keep its start for messages.
  child.stderr?.on('data', (chunk: Buffer) => { if (stderr.length < 4096) stderr += chunk.toString(); });
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && spawnError === undefined && child.exitCode === null) {
    if (await answersPing(port)) {
      child.unref();
      return {
        port,
        url: `redis://127.0.0.1:${port}`,
        async stop() {
          if (child.exitCode !== null) return;
          const exited = once(child, 'exit');
          child.ref(); // unref'd while running so tests can exit; wait for it while stopping
          child.kill('SIGTERM');
          await exited;
          child.stderr?.destroy();
        },
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill('SIGKILL');
  child.stderr?.destroy();
  if (spawnError !== undefined) {
    throw new Error(`cannot start ${binary}: ${spawnError.message}. Install redis-server (apt-get install redis-server).`);
  }
  if (stderr !== '' && !/Address already in use/i.test(stderr)) throw new Error(`${binary} failed: ${stderr.trim().split('\n')[0]}`);
  return undefined;
}

/**
 * startRedisServer spawns its own `redis-server` on a free port so runs never see each other's keys.
 * Set REDIS_SERVER_BIN to use another binary.
 */
export async function startRedisServer(): Promise<TestRedis> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const started = await spawnRedis(await freePort());
    if (started !== undefined) return started;
  }
  throw new Error('redis-server did not answer PING after 5 attempts');
}

/** startRedisOnPort starts a redis-server on a given port (to bring a stopped store back where clients expect it). */
export async function startRedisOnPort(port: number): Promise<TestRedis> {
  const started = await spawnRedis(port);
  if (started === undefined) throw new Error(`redis-server did not start on port ${port}`);
  return started;
}
