import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { run, EngineSetupError } from './process-util.js';

export const MIN_JAVA_MAJOR = 17;
const SYSTEM_JVM_DIR = '/usr/lib/jvm';

export interface JavaInstall {
  home: string;
  major: number;
  version: string;
}

/** Parses the major version out of `java -version` output ("17.0.15", "25.0.3", "1.8.0_412"). */
export function parseJavaVersion(output: string): { major: number; version: string } | undefined {
  const m = /version "([^"]+)"/.exec(output);
  if (!m?.[1]) return undefined;
  const version = m[1];
  const parts = version.split(/[._-]/).map((p) => Number.parseInt(p, 10));
  const major = parts[0] === 1 ? parts[1] : parts[0];
  return major === undefined || Number.isNaN(major) ? undefined : { major, version };
}

async function probe(home: string): Promise<JavaInstall | undefined> {
  const bin = path.join(home, 'bin', 'java');
  if (!existsSync(bin)) return undefined;
  const out = await run(bin, ['-version']).catch(() => undefined);
  const parsed = out ? parseJavaVersion(out) : undefined;
  return parsed ? { home, ...parsed } : undefined;
}

/**
 * Finds a Java >= 17 (the engine's Spring Boot 3.5 needs it): JAVA_HOME when it is recent enough, else the newest JDK in the
 * system's JVM folder.
 */
export async function findJava(javaHome: string | undefined, jvmDir = SYSTEM_JVM_DIR): Promise<JavaInstall> {
  const seen: string[] = [];
  if (javaHome) {
    const j = await probe(javaHome);
    if (j && j.major >= MIN_JAVA_MAJOR) return j;
    seen.push(`JAVA_HOME=${javaHome} (${j ? `Java ${j.version}` : 'no java'})`);
  }
  const candidates = existsSync(jvmDir)
    ? readdirSync(jvmDir, { withFileTypes: true })
        .filter((d) => d.isDirectory() || d.isSymbolicLink())
        .map((d) => path.join(jvmDir, d.name))
    : [];
  const found = (await Promise.all(candidates.map(probe))).filter((j): j is JavaInstall => j !== undefined);
  found.sort((a, b) => b.major - a.major);
  const best = found[0];
  if (best && best.major >= MIN_JAVA_MAJOR) return best;
  seen.push(...found.map((j) => `${j.home} (Java ${j.version})`));
  throw new EngineSetupError(
    `The local Operaton engine needs Java ${MIN_JAVA_MAJOR} or newer; found ${seen.length ? seen.join(', ') : 'none'}. ` +
      'Install a JDK 17+ and Maven (e.g. `apt-get install openjdk-17-jdk-headless maven`) and/or set JAVA_HOME, ' +
      'or run the platform with `docker compose up`, or use an existing Operaton engine with ENGINE_URL.',
  );
}
