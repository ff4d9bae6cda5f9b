import { cp, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findJava } from '../../platform/engine/java.js';
import { buildEngine } from '../../platform/engine/local-engine.js';
import { EngineSetupError } from '../../platform/engine/process-util.js';

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
