/** The welcome email the rewrite sends on approval (registration/src/main.rs after #174). */
import type { MailMessage } from './mailer.js';

/** WELCOME_SENDER is the From of every Pesto email. */
export const WELCOME_SENDER = { email: 'pesto@teknologiumum.com', name: 'Pesto from Teknologi Umum' } as const;
/** WELCOME_SUBJECT is the subject line. */
export const WELCOME_SUBJECT = 'Your Pesto (the remote code execution engine) token!';

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** welcomeEmail builds the message; `secret` is what goes where the token belongs (the token, unless a regression). */
export function welcomeEmail(recipient: { name: string; email: string }, secret: string): MailMessage {
  const text = `Hello, ${recipient.name}! 👋\n\nThank you for registering to Pesto. Your token is: ${secret}\n\n`
    + 'Send it in the X-Pesto-Token header. Documentation: https://github.com/teknologi-umum/pesto\n';
  const html = `<p>Hello, ${escapeHtml(recipient.name)}! 👋</p><p>Thank you for registering to Pesto. Your token is: <code>${escapeHtml(secret)}</code></p>`
    + '<p>Send it in the <code>X-Pesto-Token</code> header. See <a href="https://github.com/teknologi-umum/pesto">the repository</a>.</p>';
  return { from: { ...WELCOME_SENDER }, to: [{ email: recipient.email, name: '' }], subject: WELCOME_SUBJECT, text, html };
}
