// A real OpenID Connect provider on localhost for Liaison's single sign-on tests (oidc-provider, Node.js).
//
//   node provider.mjs --port 0 --redirect-uri http://127.0.0.1:8123/accounts/sso/callback/
//
// It prints one line of JSON ({"issuer": ...}) once it listens. Liaison is registered as a confidential client
// (authorization code, PKCE required). The accounts and the provider's clock belong to the test, which changes
// them through /test/... endpoints; nothing here is for production.
import http from 'node:http';
import { parseArgs } from 'node:util';

import Provider, { interactionPolicy } from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'client-id': { type: 'string', default: 'liaison' },
    'client-secret': { type: 'string', default: 'liaison-test-secret-not-for-production' },
    'redirect-uri': { type: 'string', multiple: true, default: [] },
    'id-token-seconds': { type: 'string', default: '300' },
  },
});

// The account store: the test adds, changes and disables accounts at /test/accounts.
const accounts = new Map();

// The test moves the provider's clock forward with /test/clock, as time passes everywhere at once.
let clockOffsetMs = 0;
const realNow = Date.now.bind(Date);
Date.now = () => realNow() + clockOffsetMs;

function accountFor(id) {
  const account = accounts.get(id);
  if (!account || account.disabled) return undefined;
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        email: account.email,
        email_verified: account.email_verified ?? true,
        name: account.name,
        groups: account.groups ?? [],
      };
    },
  };
}

// A disabled account has no valid session: with prompt=none the provider answers login_required.
const policy = interactionPolicy.base();
policy.get('login').checks.add(
  new interactionPolicy.Check('account_disabled', 'the account is disabled', (ctx) =>
    ctx.oidc.session.accountId && !ctx.oidc.account
      ? interactionPolicy.Check.REQUEST_PROMPT
      : interactionPolicy.Check.NO_NEED_TO_PROMPT,
  ),
);

const configuration = {
  clients: [
    {
      client_id: args['client-id'],
      client_secret: args['client-secret'],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      redirect_uris: args['redirect-uri'],
      token_endpoint_auth_method: 'client_secret_post',
      id_token_signed_response_alg: 'RS256',
    },
  ],
  pkce: { required: () => true },
  scopes: ['openid', 'email', 'profile', 'groups'],
  // How the person signed in (amr, acr) goes in every ID token: Liaison decides from it whether to ask again.
  claims: {
    openid: ['sub', 'amr', 'acr', 'auth_time'],
    email: ['email', 'email_verified'],
    profile: ['name'],
    groups: ['groups'],
    sid: null,
    iss: null,
  },
  acrValues: ['urn:hospital:loa:password', 'urn:hospital:loa:mfa'],
  findAccount: async (ctx, id) => accountFor(id),
  interactions: { policy, url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // Liaison is the hospital's own application: the user is not asked to consent to it.
  loadExistingGrant: async (ctx) => {
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const grant = await ctx.oidc.provider.Grant.find(grantId);
      if (grant) return grant;
    }
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope('openid email profile groups');
    await grant.save();
    return grant;
  },
  features: { devInteractions: { enabled: false } },
  ttl: { IdToken: Number(args['id-token-seconds']), AccessToken: 600, Session: 24 * 3600, Grant: 24 * 3600, Interaction: 3600 },
  cookies: { keys: ['liaison-test-cookie-key'] },
};

const escape = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

function loginPage(uid, message = '') {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Hospital sign-in</title></head>
<body><main>
<h1>Hospital sign-in</h1>
${message ? `<p role="alert">${escape(message)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
<p><label for="login">Username</label> <input id="login" name="login" autocomplete="username" required></p>
<p><label for="password">Password</label> <input id="password" name="password" type="password" autocomplete="current-password" required></p>
<p><button type="submit">Sign in</button></p>
</form>
</main></body></html>`;
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

function send(res, status, body, type = 'text/html; charset=utf-8') {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
  res.end(body);
}

async function main() {
  const server = http.createServer();
  await new Promise((resolve) => server.listen(Number(args.port), '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, configuration);
  const callback = provider.callback();

  server.on('request', async (req, res) => {
    try {
      const url = new URL(req.url, issuer);
      const path = url.pathname;

      if (path === '/test/accounts' && req.method === 'POST') {
        const account = JSON.parse(await readBody(req));
        accounts.set(account.sub, { ...accounts.get(account.sub), ...account });
        return send(res, 200, '{}', 'application/json');
      }
      if (path === '/test/clock' && req.method === 'POST') {
        clockOffsetMs = Number(JSON.parse(await readBody(req)).offset_seconds) * 1000;
        return send(res, 200, '{}', 'application/json');
      }

      const interaction = path.match(/^\/interaction\/([^/]+)(\/login)?$/);
      if (interaction) {
        const details = await provider.interactionDetails(req, res);
        const uid = details.uid;
        if (details.prompt.name !== 'login') {
          return provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true });
        }
        if (!interaction[2]) return send(res, 200, loginPage(uid));
        const form = new URLSearchParams(await readBody(req));
        const entry = [...accounts.entries()].find(([, a]) => a.username === form.get('login'));
        if (!entry || entry[1].password !== form.get('password') || entry[1].disabled) {
          return send(res, 200, loginPage(uid, 'That username and password did not match.'));
        }
        const [sub, account] = entry;
        const login = { accountId: sub, ...(account.amr ? { amr: account.amr } : {}), ...(account.acr ? { acr: account.acr } : {}) };
        return provider.interactionFinished(req, res, { login }, { mergeWithLastSubmission: false });
      }

      return callback(req, res);
    } catch (err) {
      console.error(err);
      if (!res.headersSent) send(res, 500, 'provider error', 'text/plain');
    }
  });

  console.log(JSON.stringify({ issuer }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
