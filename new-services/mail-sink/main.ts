/** Standalone entry of the mail sink: `PORT` (default 8025), `HOST`, `LOG_LEVEL`. */
import { createMailSink } from './service.js';

const app = createMailSink();
const port = Number.parseInt(process.env.PORT ?? '8025', 10);
const host = process.env.HOST ?? '0.0.0.0';
const stop = async () => {
  await app.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
await app.listen({ port, host });
