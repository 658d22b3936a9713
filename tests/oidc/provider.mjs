// A regional unified-identity provider for the test suite: the oidc-provider
// package (exact version in package-lock.json), on 127.0.0.1 only.
//
//   node provider.mjs config.json
//
// config.json: {"clients": [client metadata...],
//               "accounts": {"<login name>": {"password": "...",
//                                             "claims": {"sub": "...", ...}}}}
// Prints "READY <issuer>" on stdout once it listens on a free port. Its login
// form checks the password; consent is given for the registered clients (a
// region's own provider does not ask its teachers to consent to the region's
// platforms); RP-initiated logout asks "退出统一身份认证？" and ends the
// provider's session.

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const byLogin = config.accounts;
const bySub = Object.fromEntries(
  Object.values(byLogin).map((account) => [account.claims.sub, account]),
);

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title, body) {
  return `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>${escape(title)}</title></head><body><main>
<h1>${escape(title)}</h1>${body}</main></body></html>`;
}

function loginForm(uid, error) {
  return page('统一身份认证登录', `
${error ? `<p role="alert" id="op-error">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${escape(uid)}/login">
  <label for="op-username">账号</label>
  <input id="op-username" name="username" autocomplete="username" required>
  <label for="op-password">密码</label>
  <input id="op-password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit" id="op-submit">登录</button>
</form>`);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = new Provider(issuer, {
    clients: config.clients,
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test-rs256', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name'],
      staff: ['staff_number', 'org_code'],
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          ctx.body = page('退出统一身份认证？', `${form}
<button type="submit" form="op.logoutForm" value="yes" name="logout" id="op-logout">退出</button>
<button type="submit" form="op.logoutForm" id="op-stay">保持登录</button>`);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = page('已退出统一身份认证', '<p>您已退出。</p>');
        },
      },
    },
    async findAccount(ctx, sub) {
      const account = bySub[sub];
      if (!account) return undefined;
      return { accountId: sub, async claims() { return { ...account.claims, sub } } };
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('统一身份认证出错', `<pre>${escape(JSON.stringify(out))}</pre>`);
    },
    ttl: {
      AccessToken: 600, AuthorizationCode: 60, IdToken: 600, Interaction: 600,
      Session: 3600, Grant: 3600,
    },
  });
  provider.on('server_error', (ctx, err) => console.error('server_error', err));

  const handle = provider.callback();
  server.on('request', async (req, res) => {
    const match = req.url.match(/^\/interaction\/([^/?]+)(\/login)?/);
    if (!match) return handle(req, res);
    try {
      const details = await provider.interactionDetails(req, res);
      if (match[2] && req.method === 'POST') {
        const form = await readForm(req);
        const account = byLogin[form.get('username')];
        if (!account || account.password !== form.get('password')) {
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
          return res.end(loginForm(details.uid, '账号或密码错误'));
        }
        return await provider.interactionFinished(
          req, res, { login: { accountId: account.claims.sub } },
          { mergeWithLastSubmission: false },
        );
      }
      if (details.prompt.name === 'login') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
        return res.end(loginForm(details.uid));
      }
      // consent for a registered client: grant what it asked for
      const missing = details.prompt.details;
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({
          accountId: details.session.accountId, clientId: details.params.client_id,
        });
      if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
      if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
      const grantId = await grant.save();
      return await provider.interactionFinished(
        req, res, { consent: { grantId } }, { mergeWithLastSubmission: true },
      );
    } catch (err) {
      console.error(err);
      res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(page('统一身份认证出错', `<p>${escape(err.message)}</p>`));
    }
  });
  process.stdout.write(`READY ${issuer}\n`);
});

process.on('SIGTERM', () => server.close(() => process.exit(0)));
