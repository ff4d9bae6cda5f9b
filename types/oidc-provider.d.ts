declare module 'oidc-provider' {
  import type { Server } from 'node:http';
  /** Only the part of oidc-provider's API the tests use (a real OpenID provider for the SSO test). */
  export default class Provider {
    constructor(issuer: string, configuration: Record<string, unknown>);
    listen(port: number, host?: string): Server;
  }
}
