import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { listenTestServer, type TestServer } from '../../testing/http-servers.js';
import { createMailer, parseMailerTransport } from './mailer.js';
import { welcomeEmail } from './welcome-email.js';

describe('mailer', () => {
  let server: TestServer;
  const seen: Array<{ url: string; authorization: string | undefined; body: unknown }> = [];
  let status = 202;
  before(async () => {
    server = await listenTestServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        seen.push({ url: req.url ?? '', authorization: req.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown });
        res.writeHead(status).end();
      });
    });
  });
  after(async () => { await server.close(); });

  it('mailersend posts the MailerSend body with the API key as a bearer token and counts 202 as sent', async () => {
    const mailer = createMailer({ transport: 'mailersend', url: `${server.url}/v1/email`, apiKey: 'mlsn.secret' });
    const result = await mailer.send(welcomeEmail({ name: 'Ada', email: 'ada@example.com' }, 'tok-1'));
    assert.deepEqual(result, { ok: true, status: 202 });
    const last = seen.at(-1);
    assert.equal(last?.url, '/v1/email');
    assert.equal(last?.authorization, 'Bearer mlsn.secret');
    assert.deepEqual((last?.body as { from: unknown }).from, { email: 'pesto@teknologiumum.com', name: 'Pesto from Teknologi Umum' });
    assert.match((last?.body as { text: string }).text, /Your token is: tok-1/);
  });
  it('capture posts to the sink without credentials and reports a refusal as a result, not a throw', async () => {
    status = 422;
    const result = await createMailer({ transport: 'capture', url: server.url }).send(welcomeEmail({ name: 'A', email: 'a@b.c' }, 't'));
    assert.deepEqual(result, { ok: false, status: 422, error: 'mail provider answered 422' });
    assert.equal(seen.at(-1)?.authorization, undefined);
    status = 202;
  });
  it('refuses to start without a sink URL or an API key, and on an unknown transport', () => {
    assert.throws(() => createMailer({ transport: 'capture' }), /MAILER_URL/);
    assert.throws(() => createMailer({ transport: 'mailersend', apiKey: '' }), /MAILERSEND_API_KEY/);
    assert.throws(() => parseMailerTransport('smtp', 'disabled'), /unknown mailer transport/);
    assert.equal(parseMailerTransport(undefined, 'disabled'), 'disabled');
  });
});
