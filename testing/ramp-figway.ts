/** startRampFigway: a test figway with two echo upstreams (legacy, new) and the ramp extension, ticked by hand. */
import { startEchoServer } from './http-servers.js';
import { startTestFigway, type TestFigway } from './figway.js';
import type { StartOptions } from '../proxy/main.js';
import { createRampExtension, type RampExtension, type RampExtensionOptions } from '../proxy/ramp/extension.js';

/** RampFigway is the running figway, its ramp extension, and a close that stops the upstreams too. */
export interface RampFigway {
  figway: TestFigway;
  ramp: RampExtension;
  close(): Promise<void>;
}

/** startRampFigway starts it; `config` is merged over upstreams `legacy` and `new`. */
export async function startRampFigway(
  config: Record<string, unknown>, weights: Record<string, number>, options: RampExtensionOptions = {}, start: Partial<StartOptions> = {},
): Promise<RampFigway> {
  const legacy = await startEchoServer('legacy');
  const fresh = await startEchoServer('new');
  let ramp: RampExtension | undefined;
  const figway = await startTestFigway({ upstreams: { legacy: { url: legacy.url }, new: { url: fresh.url } }, ...config }, weights, {
    ...start,
    extensions: (context) => {
      ramp = createRampExtension(context, { loop: false, ...options });
      return [ramp];
    },
  });
  return {
    figway,
    ramp: ramp!,
    async close() {
      await figway.close();
      await legacy.close();
      await fresh.close();
    },
  };
}
