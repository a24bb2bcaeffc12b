// A real OpenID Connect provider for the tests and `make e2e` (the certified `oidc-provider` package,
// installed from the npm registry into .data/oidc by the Makefile). Loopback only; stops with its parent.
//
//   OIDC_PORT       the port on 127.0.0.1
//   OIDC_CLIENTS    JSON: the registered clients (client_id, client_secret, redirect_uris, post_logout_redirect_uris)
//   OIDC_ACCOUNTS   JSON: login → claims (school_number, name, roles); any other login gets school_number = login
//   OIDC_ID_TOKEN_TTL  seconds an ID token is valid (the expired-token test makes it short)
//
// Its own login page (devInteractions) takes any login and password: the test says who logs in.
import Provider from "oidc-provider";

const port = Number(process.env.OIDC_PORT);
const issuer = `http://127.0.0.1:${port}`;
const accounts = JSON.parse(process.env.OIDC_ACCOUNTS || "{}");

const provider = new Provider(issuer, {
  clients: JSON.parse(process.env.OIDC_CLIENTS),
  pkce: { required: () => true, methods: ["S256"] },
  claims: { openid: ["sub"], profile: ["name", "school_number", "roles"] },
  conformIdTokenClaims: false, // the profile claims in the ID token too
  ttl: { IdToken: Number(process.env.OIDC_ID_TOKEN_TTL || 3600), AccessToken: 3600, Session: 3600, Grant: 3600, Interaction: 600 },
  features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
  cookies: { keys: ["attn-test-provider"] },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, school_number: id, name: id, ...(accounts[id] || {}) };
      },
    };
  },
});
provider.listen(port, "127.0.0.1", () => console.log(`oidc provider ${issuer} ready`));
process.on("SIGTERM", () => process.exit(0));
