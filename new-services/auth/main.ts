/** Standalone entry of the rewritten auth: `PORT` (default 3000), `REDIS_URL`, `PESTO_REGRESSIONS`, `LOG_LEVEL`. */
import { runService } from '../../pesto-common/run-service.js';
import { regressionsFromEnv } from '../regressions.js';
import { createNewAuth } from './service.js';

const regressions = regressionsFromEnv();
await runService('new-auth', (redisUrl) => createNewAuth({ redisUrl, regressions }), 3000);
