import { SetupError } from '../setup-error.js';
import { spawn } from 'node:child_process';

/** The engine cannot be set up on this machine; the message says what to do instead. */
export class EngineSetupError extends SetupError {
  override name = 'EngineSetupError';
}

/** Runs a command to completion and returns its combined output; rejects on a non-zero exit. */
export function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${out.slice(-2000)}`)),
    );
  });
}
