/** Standalone entry of the legacy registration stand-in: `PORT` (default 80, like the .NET image), `REDIS_URL`, `LOG_LEVEL`. */
import { runService } from '../../pesto-common/run-service.js';
import { createLegacyRegistration } from './service.js';

await runService('legacy-registration', (redisUrl) => createLegacyRegistration({ redisUrl }), 80);
