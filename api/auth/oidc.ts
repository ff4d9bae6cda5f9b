import { Router, type Request } from 'express';
import * as oidc from 'openid-client';
import type { UserDirectory } from '../../domain/access/users.js';
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

/**
 * Sign-in through an OpenID Connect provider (the production option: the Regione's identity
 * provider, SPID/CIE gateways, Keycloak). Authorization code flow with PKCE, state and nonce;
 * the person's roles come from a claim, and a person with no known role is refused. The
 * account is the one bound to the token's issuer and `sub`; `preferred_username` only names a
 * new one, and a name that a local account (such as `admin`) or another provider identity
 * holds is refused, not taken over.
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
    const returnTo = safeReturnPath(req);
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
      const username = String(claims['preferred_username'] ?? claims['sub']).toLowerCase();
      const refuse = async (reason: string, code: string) => {
        await req.audit?.({
          action: 'sign-in.refused',
          subjectType: 'user',
          subjectId: username,
          detail: { via: 'oidc', reason },
        });
        return res.redirect(`/accesso?errore=${code}`);
      };
      if (roles.length === 0) return await refuse('no-role', 'ruolo');
      const name = typeof claims['name'] === 'string' ? claims['name'] : username;
      // The ID token's issuer and subject, both checked by the grant: who the person is.
      const outcome = await users.signInExternal({
        issuer: typeof claims['iss'] === 'string' ? claims['iss'] : o.issuer,
        subject: String(claims['sub']),
        preferredUsername: username,
        displayName: name,
        roles,
      });
      if (outcome.refused) return await refuse(outcome.refused, 'nome');
      await signIn(req, outcome.principal.id);
      await req.audit?.({
        action: 'sign-in',
        subjectType: 'user',
        subjectId: outcome.principal.id,
        detail: { via: 'oidc' },
      });
      res.redirect(pending.returnTo);
    } catch (err) {
      log.warn({ err: (err as Error).message }, 'OpenID Connect sign-in failed');
      res.redirect('/accesso?errore=oidc');
    }
  });
  return r;
}

/** Only same-site paths: an open redirect after sign-in would be a phishing aid. */
function safeReturnPath(req: Request): string {
  const to = typeof req.query['returnTo'] === 'string' ? req.query['returnTo'] : '/';
  return to.startsWith('/') && !to.startsWith('//') ? to : '/';
}
