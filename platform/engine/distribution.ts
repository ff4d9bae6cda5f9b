import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { run, EngineSetupError } from './process-util.js';

/**
 * The Zeebe distribution the embedded default runs. 8.6.0 is the newest version >= 8.6
 * that Maven Central serves to these machines (8.6.1+ and 8.7+ did not resolve when
 * checked, 2026-11). The checksum pins the exact archive.
 */
export const ZEEBE_DISTRIBUTION = {
  groupId: 'io.camunda',
  artifactId: 'camunda-zeebe',
  version: '8.6.0',
  packaging: 'tar.gz',
  sha256: '5c699e86a6c9d290dd7b1f0b2ea648fb57fd1dacf1cab22c874219e58827ea45',
} as const;

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Returns the folder of an unpacked, verified Zeebe distribution, fetching it with Maven
 * into `cacheDir` the first time. Nothing here is written inside the repository.
 */
export async function ensureZeebeDistribution(cacheDir: string, log: (msg: string) => void): Promise<string> {
  const d = ZEEBE_DISTRIBUTION;
  const home = path.join(cacheDir, 'zeebe', d.version);
  const unpacked = path.join(home, `camunda-zeebe-${d.version}`);
  const marker = path.join(home, '.verified');
  if (existsSync(marker) && existsSync(path.join(unpacked, 'bin', 'broker'))) return unpacked;

  await mkdir(home, { recursive: true });
  const archive = path.join(home, `camunda-zeebe-${d.version}.${d.packaging}`);
  if (!existsSync(archive)) {
    log(`fetching Zeebe ${d.version} from Maven Central (about 300 MB, once)`);
    const mvn = await run('mvn', ['-v']).catch(() => undefined);
    if (!mvn) {
      throw new EngineSetupError(
        'Maven (`mvn`) is needed to fetch the Zeebe distribution and was not found. ' +
          'Install Maven and Java 21+, or run the platform with `docker compose up`, ' +
          'or point the app at an existing cluster with ZEEBE_GRPC_ADDRESS.',
      );
    }
    await run('mvn', [
      '-q',
      '-B',
      'dependency:copy',
      `-Dartifact=${d.groupId}:${d.artifactId}:${d.version}:${d.packaging}`,
      `-DoutputDirectory=${home}`,
      '-Dmdep.overWriteIfNewer=true',
    ]);
  }
  const actual = await sha256Of(archive);
  if (actual !== d.sha256) {
    await rm(archive, { force: true });
    throw new EngineSetupError(
      `The Zeebe archive's SHA-256 is ${actual}, expected ${d.sha256}; the download was removed, start again to fetch it anew.`,
    );
  }
  const staging = `${unpacked}.partial`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await run('tar', ['-xzf', archive, '-C', staging, '--strip-components=1']);
  await rm(unpacked, { recursive: true, force: true });
  await rename(staging, unpacked);
  await writeFile(marker, `${d.sha256}\n`);
  return unpacked;
}
