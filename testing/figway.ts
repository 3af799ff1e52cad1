import { mkdtemp, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { stringify } from 'yaml';
import { createLogger } from '../proxy/log.js';
import { startFigway, type RunningFigway, type StartOptions } from '../proxy/main.js';

/** TEST_ADMIN_TOKEN is the admin token test instances use. */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';

/** TestFigway is a figway started from files in a temporary directory. */
export interface TestFigway extends RunningFigway {
  dir: string;
  configPath: string;
  weightsPath: string;
  close(): Promise<void>;
}

/** startTestFigway writes `config` (figway.yaml shape) and `weights` to a temp dir and starts figway on port 0. */
export async function startTestFigway(
  config: Record<string, unknown>,
  weights: Record<string, number> | string,
  options: Partial<StartOptions> = {},
): Promise<TestFigway> {
  const dir = await mkdtemp(join(tmpdir(), 'figway-test-'));
  const configPath = join(dir, 'figway.yaml');
  const weightsPath = join(dir, 'weights.yaml');
  const full = { listeners: { gateway: { host: '127.0.0.1', port: 0 }, admin: { port: 0 } }, log: { level: 'silent' }, ...config };
  await writeFile(configPath, stringify(full));
  await writeFile(weightsPath, typeof weights === 'string' ? weights : stringify({ routes: weights }));
  const running = await startFigway({
    configPath,
    env: { FIGWAY_ADMIN_TOKEN: TEST_ADMIN_TOKEN },
    logger: createLogger('silent'),
    watch: false,
    gatewayPort: 0,
    adminPort: 0,
    ...options,
  });
  return Object.assign(running, {
    dir, configPath, weightsPath,
    async close() {
      await running.stop();
      await rm(dir, { recursive: true, force: true });
    },
  });
}

/** rawRequest writes raw bytes to a port and resolves with everything the server sent before closing (or 2 s). */
export function rawRequest(port: number, text: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const timer = setTimeout(() => { socket.destroy(); resolve(received); }, 2000);
    socket.on('data', (chunk) => { received += chunk.toString('latin1'); });
    socket.on('error', (error) => { clearTimeout(timer); if (received) resolve(received); else reject(error); });
    socket.on('close', () => { clearTimeout(timer); resolve(received); });
    socket.write(text);
  });
}
