import { api, ApiError } from './api';

/** What the operator sees of the browser softphone. */
export type SoftphoneState =
  | { kind: 'off'; reason: string }
  | { kind: 'starting' }
  | { kind: 'ready'; identity: string }
  | { kind: 'in-call' }
  | { kind: 'error'; message: string };

interface TokenAnswer {
  identity: string;
  token: string;
  ttlSeconds: number;
}

/**
 * The browser softphone of production (Twilio's Voice JS SDK, `@twilio/voice-sdk`, loaded only
 * when the platform mints tokens): it registers as the client named after the operator, so the
 * `<Dial><Client>` of a call the operator accepted in the console rings here, and is answered
 * at once (accepting the offer was the operator's answer). Without Twilio (the local default)
 * the API has no token and the simulator plays the caller.
 */
export async function startSoftphone(onState: (s: SoftphoneState) => void): Promise<() => void> {
  let answer: TokenAnswer;
  try {
    answer = await api<TokenAnswer>('/api/voice/token');
  } catch (err) {
    onState({
      kind: 'off',
      reason: err instanceof ApiError && err.status === 404 ? 'non configurato' : 'token non disponibile',
    });
    return () => undefined;
  }
  onState({ kind: 'starting' });
  const { Device } = await import('@twilio/voice-sdk');
  const device = new Device(answer.token, { codecPreferences: ['opus', 'pcmu'] as never, closeProtection: true });
  device.on('registered', () => onState({ kind: 'ready', identity: answer.identity }));
  device.on('error', (e: { message?: string }) =>
    onState({ kind: 'error', message: e.message ?? 'errore del softphone' }),
  );
  device.on('tokenWillExpire', () => {
    void api<TokenAnswer>('/api/voice/token').then((t) => device.updateToken(t.token));
  });
  device.on('incoming', (call: { accept(): void; on(ev: string, fn: () => void): void }) => {
    call.on('disconnect', () => onState({ kind: 'ready', identity: answer.identity }));
    call.accept();
    onState({ kind: 'in-call' });
  });
  await device.register();
  return () => device.destroy();
}
