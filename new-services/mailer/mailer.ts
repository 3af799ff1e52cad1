/**
 * The rewrite's mailer. Transports: `capture` posts MailerSend-shaped JSON to a local mail sink (demos, tests),
 * `mailersend` posts to the real API with `MAILERSEND_API_KEY`, `disabled` drops mail. The API key is never logged.
 */
import { request } from 'undici';

/** MAILERSEND_API_URL is the real MailerSend endpoint. */
export const MAILERSEND_API_URL = 'https://api.mailersend.com/v1/email';
/** MAILER_TIMEOUT_MS bounds one send so a slow provider cannot stall an approval for long. */
export const MAILER_TIMEOUT_MS = 5_000;

/** MailAddress is a MailerSend recipient or sender. */
export interface MailAddress {
  email: string;
  name: string;
}

/** MailMessage is the MailerSend `POST /v1/email` body. */
export interface MailMessage {
  from: MailAddress;
  to: MailAddress[];
  subject: string;
  text: string;
  html: string;
}

/** MailResult says whether the provider accepted the message. */
export type MailResult = { ok: true; status: number } | { ok: false; status?: number; error: string };

/** Mailer sends one message. It never throws: failures are results (the HTTP answer must not depend on mail). */
export interface Mailer {
  readonly transport: MailerTransport;
  send(message: MailMessage): Promise<MailResult>;
}

/** MailerTransport names a transport. */
export type MailerTransport = 'capture' | 'mailersend' | 'disabled';

/** MailerOptions select and configure a transport. */
export interface MailerOptions {
  transport: MailerTransport;
  /** capture: base URL of the mail sink (its `/v1/email` is used). mailersend: override of the API URL. */
  url?: string;
  /** mailersend: the API key; default env `MAILERSEND_API_KEY`. */
  apiKey?: string;
}

async function post(url: string, message: MailMessage, headers: Record<string, string>): Promise<MailResult> {
  try {
    const response = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(message),
      headersTimeout: MAILER_TIMEOUT_MS,
      bodyTimeout: MAILER_TIMEOUT_MS,
    });
    await response.body.dump();
    // MailerSend answers 202 Accepted; the Rust code counted only 200, we count any 2xx.
    if (response.statusCode >= 200 && response.statusCode < 300) return { ok: true, status: response.statusCode };
    return { ok: false, status: response.statusCode, error: `mail provider answered ${response.statusCode}` };
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}

/** createMailer builds the mailer for `options`; a transport missing its URL or key fails at startup. */
export function createMailer(options: MailerOptions): Mailer {
  if (options.transport === 'disabled') {
    return { transport: 'disabled', send: async () => ({ ok: false, error: 'mailer disabled' }) };
  }
  if (options.transport === 'capture') {
    if (options.url === undefined || options.url === '') throw new Error('mailer transport "capture" needs a mail sink URL (MAILER_URL)');
    const endpoint = new URL('/v1/email', options.url).toString();
    return { transport: 'capture', send: (message) => post(endpoint, message, {}) };
  }
  const apiKey = options.apiKey ?? process.env.MAILERSEND_API_KEY;
  if (apiKey === undefined || apiKey === '') throw new Error('mailer transport "mailersend" needs MAILERSEND_API_KEY');
  const endpoint = options.url ?? MAILERSEND_API_URL;
  return { transport: 'mailersend', send: (message) => post(endpoint, message, { authorization: `Bearer ${apiKey}` }) };
}

/** parseMailerTransport validates a transport name from the environment. */
export function parseMailerTransport(name: string | undefined, fallback: MailerTransport): MailerTransport {
  if (name === undefined || name === '') return fallback;
  if (name === 'capture' || name === 'mailersend' || name === 'disabled') return name;
  throw new Error(`unknown mailer transport "${name}"; valid: capture, mailersend, disabled`);
}
