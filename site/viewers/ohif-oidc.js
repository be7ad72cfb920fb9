/** Sign-in for the service's tokens: add to `app-config.js` when the service runs with DICOM_AUTH_AUTHORITY. */
window.config.oidc = [
  {
    authority: 'https://login.example.org/realms/hospital', // the issuer, as DICOM_AUTH_AUTHORITY names it
    client_id: 'viewer', // a public client of the issuer (no secret), registered for this origin
    redirect_uri: '/callback', // OHIF's own route: register <OHIF origin>/callback with the issuer
    post_logout_redirect_uri: '/logout-redirect.html', // not '/': OHIF would take its study list for the sign-out page
    response_type: 'code', // authorization code with PKCE
    scope: 'openid dicom', // openid, and the scope that gets an access token for the service's audience
    automaticSilentRenew: true,
    revokeAccessTokenOnSignout: true,
  },
];
