/**
 * startRampFigway: a test figway with two echo upstreams (legacy, new) and the ramp extension, ticked by hand —
 * with `coordinate`, also the coordination extension (a `coordination:` section in `config` makes it share a Redis).
 */
import { startEchoServer } from './http-servers.js';
import { startTestFigway, type TestFigway } from './figway.js';
import type { StartOptions } from '../proxy/main.js';
import { createRampExtension, type RampExtension, type RampExtensionOptions } from '../proxy/ramp/extension.js';
import { createCoordinationExtension, type CoordinationExtension } from '../proxy/coordination/extension.js';

/** RampFigway is the running figway, its ramp (and coordination) extension, and a close that stops the upstreams too. */
export interface RampFigway {
  figway: TestFigway;
  ramp: RampExtension;
  coordination: CoordinationExtension | undefined;
  close(): Promise<void>;
}

/** startRampFigway starts it; `config` is merged over upstreams `legacy` and `new`. */
export async function startRampFigway(
  config: Record<string, unknown>, weights: Record<string, number>,
  options: RampExtensionOptions & { coordinate?: boolean } = {}, start: Partial<StartOptions> = {},
): Promise<RampFigway> {
  const legacy = await startEchoServer('legacy');
  const fresh = await startEchoServer('new');
  let ramp: RampExtension | undefined;
  let coordination: CoordinationExtension | undefined;
  const { coordinate, ...rampOptions } = options;
  const figway = await startTestFigway({ upstreams: { legacy: { url: legacy.url }, new: { url: fresh.url } }, ...config }, weights, {
    ...start,
    extensions: (context) => {
      coordination = coordinate === true ? createCoordinationExtension(context) : undefined;
      ramp = createRampExtension(context, {
        loop: false,
        ...(coordination === undefined ? {} : { store: coordination.rampStore, source: coordination.evidenceSource }),
        ...rampOptions,
      });
      return coordination === undefined ? [ramp] : [coordination, ramp];
    },
  });
  return {
    figway,
    ramp: ramp!,
    coordination,
    async close() {
      await figway.close();
      await legacy.close();
      await fresh.close();
    },
  };
}
