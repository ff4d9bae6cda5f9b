import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../app.js';
import { ConfigError, engineUrls, envSchema, loadConfig } from '../../platform/config.js';
import { createLogger } from '../../platform/logger.js';

describe('configuration', () => {
  it('runs everything embedded by default', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      runApi: true,
      runWorkers: true,
      embeddedEngine: true,
      embeddedDatabase: true,
      smsProvider: 'local',
      PORT: 3000,
    });
  });
  it('uses an external engine and database when given, and starts neither', () => {
    const c = loadConfig({
      ENGINE_URL: 'http://engine-1:8080/engine-rest, http://engine-2:8080/engine-rest/',
      ENGINE_REST_USER: 'cc',
      ENGINE_REST_PASSWORD: 'a-long-engine-password',
      DATABASE_URL: 'postgres://u:p@db/cc',
    });
    expect(c).toMatchObject({ embeddedEngine: false, embeddedDatabase: false });
    expect(engineUrls(c.ENGINE_URL)).toEqual(['http://engine-1:8080/engine-rest', 'http://engine-2:8080/engine-rest']);
  });
  it('refuses an external engine without credentials, or one that is not a URL', () => {
    expect(() => loadConfig({ ENGINE_URL: 'http://engine:8080/engine-rest' })).toThrow(/ENGINE_REST_USER/);
    expect(() => loadConfig({ ENGINE_URL: 'engine:8080', ENGINE_REST_USER: 'u', ENGINE_REST_PASSWORD: 'p' })).toThrow(
      /ENGINE_URL: not an http/,
    );
  });
  it('runs only the API or only the workers by flag, on a shared engine', () => {
    const engine = {
      ENGINE_URL: 'http://127.0.0.1:8080/engine-rest',
      ENGINE_REST_USER: 'u',
      ENGINE_REST_PASSWORD: 'p',
    };
    expect(loadConfig(engine, ['--api-only'])).toMatchObject({ runApi: true, runWorkers: false });
    expect(loadConfig({ ...engine, APP_MODE: 'api' }, ['--workers-only'])).toMatchObject({
      runApi: false,
      runWorkers: true,
    });
    // Each half would start an engine of its own on the same port and database.
    expect(() => loadConfig({}, ['--workers-only'])).toThrow(/share one engine: set ENGINE_URL/);
  });
  it('stops with a message naming the bad variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ SMS_PROVIDER: 'twilio', TWILIO_ACCOUNT_SID: 'AC1' })).toThrow(
      /TWILIO_AUTH_TOKEN, TWILIO_FROM/,
    );
  });
  it('refuses /fhir tokens shorter than 24 characters, and one token for both reading and writing', () => {
    expect(() => loadConfig({ FHIR_API_TOKEN: 'test-fhir-read-token' })).toThrow(ConfigError);
    expect(() => loadConfig({ FHIR_API_TOKEN: 'test-fhir-read-token' })).toThrow(
      /FHIR_API_TOKEN must be at least 24 characters/,
    );
    expect(() => loadConfig({ FHIR_WRITE_TOKEN: 'w'.repeat(23) })).toThrow(
      /FHIR_WRITE_TOKEN must be at least 24 characters/,
    );
    // The read token would book, cancel and move: the guard takes the write token first.
    const same = 'one-token-for-both-read-and-write';
    expect(() => loadConfig({ FHIR_API_TOKEN: same, FHIR_WRITE_TOKEN: same })).toThrow(
      /FHIR_API_TOKEN and FHIR_WRITE_TOKEN must differ/,
    );
    expect(loadConfig({ FHIR_API_TOKEN: 'r'.repeat(24), FHIR_WRITE_TOKEN: 'w'.repeat(24) })).toMatchObject({
      FHIR_API_TOKEN: 'r'.repeat(24),
      FHIR_WRITE_TOKEN: 'w'.repeat(24),
    });
  });
  it('is documented: every variable appears in the README configuration table', () => {
    const readme = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');
    for (const key of Object.keys(envSchema.shape)) expect(readme, key).toContain(`| \`${key}\``);
  });
});

describe('logs', () => {
  it('never contain variables, phone numbers, fiscal codes or tokens', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString());
        cb();
      },
    });
    const log = createLogger('info', sink);
    log.info(
      {
        jobKey: '1',
        variables: { fiscalCode: 'RSSMRA80A01G942K' },
        mobile: '+393330000001',
        sms: { to: '+393330000002', text: 'ciao' },
        token: 's3cret',
      },
      'job done',
    );
    const out = lines.join('');
    expect(out).toContain('"jobKey":"1"');
    for (const secret of ['RSSMRA80A01G942K', '+393330000001', '+393330000002', 'ciao', 's3cret'])
      expect(out).not.toContain(secret);
  });
});
