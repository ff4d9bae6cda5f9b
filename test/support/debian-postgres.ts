import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePorts } from './ports.js';

const run = promisify(execFile);

export interface DebianPostgres {
  /** `postgres://postgres@127.0.0.1:PORT/postgres` (trust on loopback, a server of its own). */
  url: string;
  /** The folder of this version's client programs (pg_dump, pg_restore). */
  bin: string;
  version: number;
  stop(): Promise<void>;
}

/** The newest PostgreSQL from Debian's packages (`/usr/lib/postgresql/N/bin`) that has a server and pg_dump. */
export function debianPostgresBin(): { bin: string; version: number } | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .map(Number)
    .filter((n) => Number.isInteger(n) && existsSync(path.join(root, String(n), 'bin', 'initdb')))
    .filter((n) => existsSync(path.join(root, String(n), 'bin', 'pg_dump')))
    .sort((a, b) => b - a);
  const version = versions[0];
  return version === undefined ? undefined : { bin: path.join(root, String(version), 'bin'), version };
}

/**
 * A private PostgreSQL server from Debian's packages, in a folder of its own on a free loopback
 * port: another version than the embedded one, with the client programs the embedded package
 * lacks (pg_dump, pg_restore). As root the server runs as `postgres`, as PostgreSQL requires.
 */
export async function startDebianPostgres(): Promise<DebianPostgres> {
  const found = debianPostgresBin();
  if (!found) throw new Error('no PostgreSQL server from Debian (/usr/lib/postgresql/N/bin): .ci/run installs it');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cc-debian-pg-'));
  await chmod(dir, 0o755);
  const data = path.join(dir, 'data');
  await mkdir(data);
  const asRoot = process.getuid?.() === 0;
  const as = async (cmd: string, args: string[]) =>
    asRoot ? run('runuser', ['-u', 'postgres', '--', cmd, ...args]) : run(cmd, args);
  if (asRoot) {
    const [uid, gid] = await Promise.all([run('id', ['-u', 'postgres']), run('id', ['-g', 'postgres'])]);
    await chown(dir, Number(uid.stdout.trim()), Number(gid.stdout.trim()));
    await chown(data, Number(uid.stdout.trim()), Number(gid.stdout.trim()));
  }
  const [port] = (await freePorts(1)) as [number];
  await as(path.join(found.bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']);
  await as(path.join(found.bin, 'pg_ctl'), [
    '-D',
    data,
    '-l',
    path.join(dir, 'server.log'),
    '-w',
    '-o',
    `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off`,
    'start',
  ]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    bin: found.bin,
    version: found.version,
    async stop() {
      await as(path.join(found.bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
