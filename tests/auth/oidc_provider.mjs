// A real OpenID Connect issuer for the tests (oidc-provider, OpenID-certified), on loopback only.
// Three clients (owner, reader, and cardio whose role is scoped to one partition) get JWT access tokens for the service's audience by the client-credentials
// grant, with their roles in a `roles` claim. Its signing key is made at start-up and never written down.
//   node oidc_provider.mjs <node_modules folder> <port> <audience>
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [modules, port, audience] = process.argv.slice(2);
const { default: Provider } = await import(pathToFileURL(join(modules, 'oidc-provider', 'lib', 'index.js')).href);

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const key = { ...privateKey.export({ format: 'jwk' }), kid: 'start-up-key', alg: 'RS256', use: 'sig' };
const ROLES = { owner: ['DICOM Data Owner'], reader: ['DICOM Data Reader'], cardio: ['Cardiology Owner'] };
const client = (id) => ({
  client_id: id,
  client_secret: `${id}-secret`,
  grant_types: ['client_credentials'],
  redirect_uris: [],
  response_types: [],
  scope: 'dicom',
});

const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [client('owner'), client('reader'), client('cardio')],
  jwks: { keys: [key] },
  scopes: ['dicom'],
  features: {
    devInteractions: { enabled: false },
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
