/**
 * Standalone entry of the rewritten registration: `PORT` (default 3000), `REDIS_URL`, `PESTO_REGRESSIONS`,
 * `MAILER_TRANSPORT` (capture|mailersend|disabled; default capture when `MAILER_URL` is set, else disabled),
 * `MAILER_URL`, `MAILERSEND_API_KEY`, `LOG_LEVEL`.
 */
import { runService } from '../../pesto-common/run-service.js';
import { createMailer, parseMailerTransport } from '../mailer/mailer.js';
import { regressionsFromEnv } from '../regressions.js';
import { createNewRegistration } from './service.js';

const regressions = regressionsFromEnv();
const mailerUrl = process.env.MAILER_URL;
const transport = parseMailerTransport(process.env.MAILER_TRANSPORT, mailerUrl !== undefined && mailerUrl !== '' ? 'capture' : 'disabled');
const mailer = createMailer({ transport, ...(mailerUrl !== undefined && mailerUrl !== '' ? { url: mailerUrl } : {}) });
await runService('new-registration', (redisUrl) => createNewRegistration({ redisUrl, regressions, mailer }), 3000);
