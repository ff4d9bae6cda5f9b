import { chmod, cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findJava } from '../../platform/engine/java.js';
import { buildEngine } from '../../platform/engine/local-engine.js';
import { EngineSetupError } from '../../platform/engine/process-util.js';
import { folderClosedToOthers, startEmbeddedPostgres } from '../../platform/database/embedded-postgres.js';
import { SetupError } from '../../platform/setup-error.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

describe('the local engine cannot be set up', () => {
  const made: string[] = [];
  afterEach(async () => {
    for (const d of made.splice(0)) await rm(d, { recursive: true, force: true });
    delete process.env.MAVEN_CMD;
  });

  it('without Java 17+: one message naming what to install and the alternatives', async () => {
    const empty = await mkdtemp(path.join(os.tmpdir(), 'cc-nojava-'));
    made.push(empty);
    const err = await findJava(undefined, empty).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineSetupError);
    expect((err as Error).message).toMatch(/Java 17 or newer/);
    expect((err as Error).message).toMatch(/docker compose up/);
    expect((err as Error).message).toMatch(/ENGINE_URL/);
  });

  it('without Maven, when the engine must be built: the same kind of message', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cc-nomaven-'));
    made.push(dir);
    await cp(path.join(ROOT, 'engine', 'pom.xml'), path.join(dir, 'pom.xml'));
    await cp(path.join(ROOT, 'engine', 'src'), path.join(dir, 'src'), { recursive: true });
    process.env.MAVEN_CMD = path.join(dir, 'no-such-mvn');
    const java = { home: '/usr', major: 17, version: '17' };
    const err = await buildEngine(dir, java, () => undefined).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineSetupError);
    expect((err as Error).message).toMatch(/Maven, which is not installed/);
    expect((err as Error).message).toMatch(/docker compose up/);
    expect((err as Error).message).toMatch(/ENGINE_URL/);
  });
});

describe('a checkout in a folder other users cannot enter', () => {
  it('names the first folder the embedded PostgreSQL (user postgres) could not enter', async () => {
    const open = await mkdtemp(path.join(os.tmpdir(), 'cc-open-'));
    const closed = path.join(open, 'private');
    await mkdir(path.join(closed, 'checkout', 'data'), { recursive: true });
    await chmod(open, 0o755);
    await chmod(closed, 0o700);
    try {
      expect(folderClosedToOthers([path.join(closed, 'checkout', 'data')])).toBe(closed);
      expect(folderClosedToOthers([open])).toBeUndefined();
      await chmod(closed, 0o755);
      expect(folderClosedToOthers([path.join(closed, 'checkout', 'data')])).toBeUndefined();
    } finally {
      await rm(open, { recursive: true, force: true });
    }
  });

  it.runIf(process.getuid?.() === 0)('as root: stops at once with what to do, instead of initdb EACCES', async () => {
    const closed = await mkdtemp(path.join(os.tmpdir(), 'cc-closed-'));
    await chmod(closed, 0o700);
    try {
      const err = await startEmbeddedPostgres({
        dataDir: path.join(closed, 'data', 'postgres'),
        port: 1,
        database: 'x',
        log: () => undefined,
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SetupError);
      expect((err as Error).message).toContain(closed);
      expect((err as Error).message).toMatch(/outside private folders.*DATABASE_URL/s);
    } finally {
      await rm(closed, { recursive: true, force: true });
    }
  });
});
