// A real OpenID Connect issuer for the tests (oidc-provider, OpenID-certified), on loopback only.
// Three clients (owner, reader, and cardio whose role is scoped to one partition) get JWT access tokens for the service's audience by the client-credentials
// grant, with their roles in a `roles` claim. Its signing key is made at start-up and never written down.
// Given a browser app's origin, a public client `viewer` signs people in there too (authorization code + PKCE,
// its callback `<origin>/callback`): any login and password on the provider's own form, consent taken as given,
// a reader's token.
//   node oidc_provider.mjs <node_modules folder> <port> <audience> [<viewer origin>]
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [modules, port, audience, viewer] = process.argv.slice(2);
const { default: Provider } = await import(pathToFileURL(join(modules, 'oidc-provider', 'lib', 'index.js')).href);

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const key = { ...privateKey.export({ format: 'jwk' }), kid: 'start-up-key', alg: 'RS256', use: 'sig' };
const ROLES = { owner: ['DICOM Data Owner'], reader: ['DICOM Data Reader'], cardio: ['Cardiology Owner'], viewer: ['DICOM Data Reader'] };
const client = (id) => ({
  client_id: id,
  client_secret: `${id}-secret`,
  grant_types: ['client_credentials'],
  redirect_uris: [],
  response_types: [],
  scope: 'dicom',
});

const browserApp = viewer && {
  client_id: 'viewer',
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code'],
  response_types: ['code'],
  redirect_uris: [`${viewer}/callback`],
  post_logout_redirect_uris: [`${viewer}/logout-redirect.html`],
  scope: 'openid dicom',
};

// The viewer is a first-party app: its grant (sign-in and the service's scope) needs no consent screen.
async function loadExistingGrant(ctx) {
  const { Grant } = ctx.oidc.provider;
  const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
  if (grantId) return Grant.find(grantId);
  if (ctx.oidc.client.clientId !== 'viewer') return undefined;
  const grant = new Grant({ clientId: 'viewer', accountId: ctx.oidc.session.accountId });
  grant.addOIDCScope('openid dicom');
  grant.addResourceScope(audience, 'dicom');
  await grant.save();
  return grant;
}

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [client('owner'), client('reader'), client('cardio'), ...(browserApp ? [browserApp] : [])],
  jwks: { keys: [key] },
  scopes: ['openid', 'dicom'],
  loadExistingGrant,
  features: {
    devInteractions: { enabled: Boolean(browserApp) },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => audience,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resource) => {
        if (resource !== audience) throw new Error(`unknown resource ${resource}`);
        return { scope: 'dicom', audience, accessTokenFormat: 'jwt', accessTokenTTL: 600, jwt: { sign: { alg: 'RS256' } } };
      },
    },
  },
  extraTokenClaims: (ctx, token) => ({ roles: ROLES[token.clientId] ?? [] }),
});
provider.listen(Number(port), '127.0.0.1', () => console.log(`ready ${issuer}`));
