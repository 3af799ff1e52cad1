/** The Pesto contract suite against the legacy stand-ins (Go auth, .NET registration). */
import { createLegacyAuth } from './auth/service.js';
import { createLegacyRegistration } from './registration/service.js';
import { runPestoContractSuite } from './pesto-contract.suite.js';

runPestoContractSuite({
  side: 'legacy',
  async start(redisUrl) {
    const authApp = createLegacyAuth({ redisUrl, logLevel: 'fatal' });
    const registrationApp = createLegacyRegistration({ redisUrl, logLevel: 'fatal' });
    const authUrl = await authApp.listen({ port: 0, host: '127.0.0.1' });
    const registrationUrl = await registrationApp.listen({ port: 0, host: '127.0.0.1' });
    return {
      authUrl,
      registrationUrl,
      async close() {
        await Promise.all([authApp.close(), registrationApp.close()]);
      },
    };
  },
});
