import { pino, type Logger } from 'pino';

/**
 * Field names that may carry personal data or secrets. Pino removes them wherever they
 * appear (two levels deep), so a careless `log.info({ variables })` cannot leak a fiscal
 * code, a phone number or a token into the logs.
 */
export const REDACTED_PATHS = [
  'variables',
  'body',
  'headers.authorization',
  'headers.cookie',
  'password',
  'token',
  'authToken',
  'mobile',
  'phone',
  'to',
  'fiscalCode',
  'text',
  '*.variables',
  '*.body',
  '*.password',
  '*.token',
  '*.authToken',
  '*.mobile',
  '*.phone',
  '*.to',
  '*.fiscalCode',
  '*.text',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'contact-center' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACTED_PATHS, remove: true },
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

export type { Logger };
