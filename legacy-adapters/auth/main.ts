/** Standalone entry of the legacy auth stand-in: `PORT` (default 3000), `REDIS_URL`, `LOG_LEVEL`. */
import { runService } from '../../pesto-common/run-service.js';
import { createLegacyAuth } from './service.js';

await runService('legacy-auth', (redisUrl) => createLegacyAuth({ redisUrl }), 3000);
