import type { Zeebe } from '@camunda8/sdk';
import { Camunda8 } from '@camunda8/sdk';

export type ZeebeClient = Zeebe.ZeebeGrpcClient;

export interface EngineConnection {
  grpcAddress: string;
  restAddress?: string | undefined;
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  oauthUrl?: string | undefined;
  audience?: string | undefined;
  secure?: boolean | undefined;
}

/**
 * Creates the gRPC client of `@camunda8/sdk`. Without OAuth credentials it talks plaintext
 * and unauthenticated, as to the local broker; with them it uses the SDK's OAuth strategy
 * (Camunda SaaS or self-managed with Identity).
 */
export function createZeebeClient(c: EngineConnection): ZeebeClient {
  const oauth = Boolean(c.clientId && c.clientSecret);
  const camunda = new Camunda8({
    ZEEBE_GRPC_ADDRESS: c.grpcAddress,
    ZEEBE_ADDRESS: c.grpcAddress,
    ...(c.restAddress ? { ZEEBE_REST_ADDRESS: c.restAddress } : {}),
    CAMUNDA_AUTH_STRATEGY: oauth ? 'OAUTH' : 'NONE',
    CAMUNDA_OAUTH_DISABLED: !oauth,
    CAMUNDA_SECURE_CONNECTION: c.secure ?? oauth,
    ...(oauth
      ? {
          ZEEBE_CLIENT_ID: c.clientId,
          ZEEBE_CLIENT_SECRET: c.clientSecret,
          CAMUNDA_OAUTH_URL: c.oauthUrl,
          ...(c.audience ? { ZEEBE_TOKEN_AUDIENCE: c.audience } : {}),
        }
      : {}),
    // Our own JSON logs carry what matters; the SDK's text logs would break them.
    zeebeGrpcSettings: { ZEEBE_CLIENT_LOG_LEVEL: 'ERROR', ZEEBE_CLIENT_LOG_TYPE: 'JSON' },
    CAMUNDA_LOG_LEVEL: 'error',
  });
  return camunda.getZeebeGrpcApiClient();
}

/**
 * True when the gateway answers a topology request within `timeoutMs` and every partition
 * has a leader: only then are commands (deploy, create instance) accepted; before that the
 * gateway answers UNAVAILABLE "Expected to execute command on partition …".
 */
export async function engineReachable(zeebe: ZeebeClient, timeoutMs = 2000): Promise<boolean> {
  const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref());
  const probe = zeebe
    .topology()
    .then((t) => {
      const led = new Set<number>();
      for (const b of t.brokers) {
        for (const p of b.partitions) {
          // The role arrives as the enum's number or its name, depending on the proto loader.
          if ((p.role as unknown) === 0 || String(p.role) === 'LEADER') led.add(p.partitionId);
        }
      }
      return t.partitionsCount > 0 && led.size >= t.partitionsCount;
    })
    .catch(() => false);
  return Promise.race([probe, timeout]);
}
