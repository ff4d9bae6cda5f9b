import { Router } from 'express';
import * as oidc from 'openid-client';
import type { ExternalSignIn, UserDirectory } from '../../domain/access/users.js';
import { isRole, type Role } from '../../domain/access/roles.js';
import type { Logger } from '../../platform/logger.js';
import { signIn } from './sessions.js';

export interface OidcOptions {
  issuer: string;
  clientId: string;
  clientSecret?: string | undefined;
  /** The app's public address; the provider redirects to `<publicBaseUrl>/auth/oidc/callback`. */
  publicBaseUrl: string;
  /** Claim carrying the person's roles or groups (an array or a space/comma-separated string). */
  rolesClaim: string;
  /** Provider group → our role, e.g. `{ "cup-fo": "operator" }`; names that are already roles pass as they are. */
  roleMap: Record<string, Role>;
}

/** Reads the roles a provider put in a claim: our role names directly, or mapped from its groups. */
export function rolesFromClaims(
  claims: Record<string, unknown>,
  o: Pick<OidcOptions, 'rolesClaim' | 'roleMap'>,
): Role[] {
  const raw = o.rolesClaim
    .split('.')
    .reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], claims);
  const values = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' ? raw.split(/[\s,]+/) : [];
  const roles = values.map((v) => o.roleMap[v] ?? (isRole(v) ? v : undefined)).filter((r): r is Role => !!r);
  return [...new Set(roles)];
}

/** Why a sign-on is refused → the `errore` the sign-in page explains (web/src/pages/sign-in.tsx). */
const REFUSAL_PAGES: Record<'no-role' | NonNullable<ExternalSignIn['refused']>, string> = {
  'no-role': 'ruolo',
  'local-account': 'nome',
  'other-identity': 'nome',
  'unbound-account': 'non-associato',
  disabled: 'disattivato',
  'invalid-username': 'nome-non-valido',
};

/**
 * Sign-in through an OpenID Connect provider (the production option: the Regione's identity
 * provider, SPID/CIE gateways, Keycloak). Authorization code flow with PKCE, state and nonce;
 * the person's roles come from a claim, and a person with no known role is refused. The
 * account is the one bound to the token's issuer and `sub`; `preferred_username` only names a
 * new one (and must fit the local username rule), and a name that a local account (such as
 * `admin`), another provider identity or an account not yet bound holds is refused, not taken
 * over. A disabled account is refused here, with its roles left as they were. Every refusal is
 * audited with the token's issuer and `sub`: who tried.
 */
export function oidcRoutes(o: OidcOptions, users: UserDirectory, log: Logger): Router {
  const r = Router();
  const redirectUri = new URL('/auth/oidc/callback', o.publicBaseUrl).toString();
  let config: Promise<oidc.Configuration> | undefined;
  const configuration = () => {
    config ??= oidc
      .discovery(
        new URL(o.issuer),
        o.clientId,
        o.clientSecret,
        undefined,
        new URL(o.issuer).protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined,
      )
      .catch((err: unknown) => {
        config = undefined;
        throw err;
      });
    return config;
  };

  r.get('/login', async (req, res) => {
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const nonce = oidc.randomNonce();
    const returnTo = safeReturnPath(req.query['returnTo'], o.publicBaseUrl);
    req.session.oidc = { state, nonce, codeVerifier, returnTo };
    const url = oidc.buildAuthorizationUrl(await configuration(), {
      redirect_uri: redirectUri,
      scope: 'openid profile email',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    res.redirect(url.toString());
  });

  r.get('/callback', async (req, res) => {
    const pending = req.session.oidc;
    if (!pending) return res.redirect('/accesso?errore=sessione');
    delete req.session.oidc;
    try {
      const current = new URL(req.originalUrl, o.publicBaseUrl);
      const tokens = await oidc.authorizationCodeGrant(await configuration(), current, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
      });
      const claims: Record<string, unknown> = tokens.claims() ?? {};
      const roles = rolesFromClaims(claims, o);
      // The ID token's issuer and subject, both checked by the grant: who the person is.
      const issuer = typeof claims['iss'] === 'string' ? claims['iss'] : o.issuer;
      const subject = String(claims['sub']);
      const username = String(claims['preferred_username'] ?? claims['sub'])
        .trim()
        .toLowerCase();
      const refuse = async (reason: keyof typeof REFUSAL_PAGES, account = username) => {
        await req.audit?.({
          action: 'sign-in.refused',
          subjectType: 'user',
          subjectId: account.slice(0, 200),
          detail: { via: 'oidc', reason, issuer, subject },
        });
        return res.redirect(`/accesso?errore=${REFUSAL_PAGES[reason]}`);
      };
      if (roles.length === 0) return await refuse('no-role');
      const name = typeof claims['name'] === 'string' ? claims['name'] : username;
      const outcome = await users.signInExternal({
        issuer,
        subject,
        preferredUsername: username,
        displayName: name,
        roles,
      });
      if (outcome.refused === 'disabled') return await refuse('disabled', outcome.account);
      if (outcome.refused) return await refuse(outcome.refused);
      await signIn(req, outcome.principal.id);
      await req.audit?.({
        action: 'sign-in',
        subjectType: 'user',
        subjectId: outcome.principal.id,
        detail: { via: 'oidc', ...(outcome.bound ? { bound: true } : {}), issuer, subject },
      });
      res.redirect(pending.returnTo);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'OpenID Connect sign-in failed');
      res.redirect('/accesso?errore=oidc');
    }
  });
  return r;
}

/**
 * Where to go after the sign-on: a path of this site, or `/`. An open redirect after sign-in
 * would be a phishing aid, and browsers are lenient: they read `\` as `/` (`/\evil.com` is
 * `//evil.com`, another site) and drop tabs and newlines. So: a path (one leading `/`), no
 * backslash nor control character, resolving against `base` to `base`'s own origin, and
 * given back normalised, never as something that starts with `//`.
 */
export function safeReturnPath(to: unknown, base: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what is refused
  if (typeof to !== 'string' || !/^\/(?!\/)/.test(to) || /[\\\u0000-\u001f\u007f]/.test(to)) return '/';
  const origin = new URL(base).origin;
  let url: URL;
  try {
    url = new URL(to, origin);
  } catch {
    return '/';
  }
  if (url.origin !== origin) return '/';
  const path = `${url.pathname}${url.search}${url.hash}`;
  return path.startsWith('/') && !path.startsWith('//') && new URL(path, origin).origin === origin ? path : '/';
}
