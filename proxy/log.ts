import { pino, type Logger, type DestinationStream } from 'pino';

/** Fields that must never reach a log line, wherever they appear. */
export const LOG_REDACT_PATHS = [
  'headers.authorization', 'headers.cookie', 'headers["set-cookie"]', 'headers["x-pesto-token"]', 'token', 'adminToken', '*.token', '*.password',
];

/** createLogger returns figway's structured JSON logger (pino). Request logs carry no headers, bodies or query strings. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino({ level, base: { service: 'figway' }, redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' } }, destination);
}
