/** The Pesto contract suite against the rewrite (new auth, new registration mailing through the mail sink). */
import { runPestoContractSuite } from '../legacy-adapters/pesto-contract.suite.js';
import { createNewAuth } from './auth/service.js';
import { createMailSink } from './mail-sink/service.js';
import { createNewRegistration } from './registration/service.js';

runPestoContractSuite({
  side: 'rewrite',
  async start(redisUrl) {
    const sink = createMailSink({ logLevel: 'fatal' });
    const mailSinkUrl = await sink.listen({ port: 0, host: '127.0.0.1' });
    const authApp = createNewAuth({ redisUrl, logLevel: 'fatal' });
    const registrationApp = createNewRegistration({ redisUrl, logLevel: 'fatal', mailer: { transport: 'capture', url: mailSinkUrl } });
    const authUrl = await authApp.listen({ port: 0, host: '127.0.0.1' });
    const registrationUrl = await registrationApp.listen({ port: 0, host: '127.0.0.1' });
    return {
      authUrl,
      registrationUrl,
      mailSinkUrl,
      async close() {
        await Promise.all([authApp.close(), registrationApp.close(), sink.close()]);
      },
    };
  },
});
