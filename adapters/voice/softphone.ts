import twilio from 'twilio';

/** What mints the operators' softphone tokens: an API key of the account and the softphone's TwiML App. */
export interface SoftphoneKeys {
  accountSid: string;
  apiKeySid: string;
  apiKeySecret: string;
  /** The TwiML App whose Voice URL answers calls made from the browser (optional: inbound only without it). */
  twimlAppSid?: string | undefined;
}

/**
 * An access token for Twilio's Voice JS SDK (`@twilio/voice-sdk`): the operator's browser
 * registers as the client `identity`, so the `<Dial><Client>` of a call they accepted rings
 * there. Signed with an API key (never the auth token), valid one hour; the browser asks for a
 * new one before it expires.
 */
export function softphoneToken(keys: SoftphoneKeys, identity: string, ttlSeconds = 3600): string {
  const { AccessToken } = twilio.jwt;
  const token = new AccessToken(keys.accountSid, keys.apiKeySid, keys.apiKeySecret, { identity, ttl: ttlSeconds });
  token.addGrant(
    new AccessToken.VoiceGrant({
      incomingAllow: true,
      ...(keys.twimlAppSid ? { outgoingApplicationSid: keys.twimlAppSid } : {}),
    }),
  );
  return token.toJwt();
}
