import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { softphoneToken } from '../../adapters/voice/softphone.js';

const decode = (part: string) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;

describe('the operators’ softphone token (Twilio Voice JS SDK)', () => {
  const keys = {
    accountSid: `AC${'1'.repeat(32)}`,
    apiKeySid: `SK${'2'.repeat(32)}`,
    apiKeySecret: 'secret-of-the-api-key',
    twimlAppSid: `AP${'3'.repeat(32)}`,
  };

  it('lets the operator’s browser receive calls as their client, signed with the API key, for an hour', () => {
    const jwt = softphoneToken(keys, 'voce.uno');
    const [header, payload, signature] = jwt.split('.') as [string, string, string];
    expect(decode(header)).toMatchObject({ alg: 'HS256', cty: 'twilio-fpa;v=1' });
    const body = decode(payload);
    expect(body).toMatchObject({
      iss: keys.apiKeySid,
      sub: keys.accountSid,
      grants: {
        identity: 'voce.uno',
        voice: { incoming: { allow: true }, outgoing: { application_sid: keys.twimlAppSid } },
      },
    });
    expect(Number(body['exp']) - Number(body['iat'] ?? Number(body['nbf']))).toBeLessThanOrEqual(3600);
    const expected = createHmac('sha256', keys.apiKeySecret).update(`${header}.${payload}`).digest('base64url');
    expect(signature).toBe(expected);
  });
});
