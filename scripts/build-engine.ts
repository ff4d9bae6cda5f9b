/**
 * `npm run engine:build`: builds engine/target/engine.jar with Maven now (the start command
 * and the tests do it on their own when the jar is missing or older than engine/).
 */
import path from 'node:path';
import { PROJECT_ROOT } from '../app.js';
import { findJava } from '../platform/engine/java.js';
import { buildEngine } from '../platform/engine/local-engine.js';
import { EngineSetupError } from '../platform/engine/process-util.js';

try {
  const java = await findJava(process.env.JAVA_HOME);
  const jar = await buildEngine(path.join(PROJECT_ROOT, 'engine'), java, (m) => process.stderr.write(`${m}\n`));
  process.stdout.write(`${jar}\n`);
} catch (err) {
  process.stderr.write(`${err instanceof EngineSetupError ? err.message : String(err)}\n`);
  process.exit(1);
}
