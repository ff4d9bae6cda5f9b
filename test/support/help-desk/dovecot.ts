import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ImapFlow } from 'imapflow';
import { freePorts } from '../ports.js';

const run = promisify(execFile);

/** The system user the test Dovecot runs as when the tests run as root (Dovecot refuses root). */
const SYSTEM_USER = 'cc-dovecot';

export interface DovecotUser {
  user: string;
  password: string;
}

export interface TestDovecot {
  host: '127.0.0.1';
  port: number;
  /** Stops the server and removes its folder with all the mail. */
  stop(): Promise<void>;
  /**
   * Kills the whole server at once (SIGKILL to its process group, as a crash would), keeping the
   * mail; `start()` brings it back on the same port with the same mailboxes and UIDVALIDITY.
   */
  kill(): Promise<void>;
  /** Starts the server again after `kill()`. */
  start(): Promise<void>;
  /** Appends a raw message to the user's `folder` (INBOX by default, created when missing). */
  append(user: string, raw: Buffer | string, folder?: string): Promise<{ uid: number; uidValidity: string }>;
  /** The messages of the user's folder in UID order; an empty list when the folder does not exist. */
  list(user: string, folder: string): Promise<{ uid: number; messageId?: string }[]>;
}

interface RunAs {
  name: string;
  group: string;
  uid?: number;
  gid?: number;
}

async function idOf(user: string): Promise<{ uid: number; gid: number; group: string } | undefined> {
  try {
    const [uid, gid, group] = await Promise.all([
      run('id', ['-u', user]),
      run('id', ['-g', user]),
      run('id', ['-gn', user]),
    ]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()), group: group.stdout.trim() };
  } catch {
    return undefined;
  }
}

/**
 * Who Dovecot runs as. Its login processes refuse to run as root, so as root (here and in CI)
 * a system user without home or shell is created once and the server runs as that user; as an
 * ordinary user it runs as that user, as in the verified recipe.
 */
async function runAs(): Promise<RunAs> {
  if (process.getuid?.() !== 0) {
    const me = os.userInfo();
    const group = (await run('id', ['-gn'])).stdout.trim();
    return { name: me.username, group };
  }
  let found = await idOf(SYSTEM_USER);
  if (!found) {
    try {
      await run('useradd', [
        '--system',
        '--no-create-home',
        '--user-group',
        '--shell',
        '/usr/sbin/nologin',
        SYSTEM_USER,
      ]);
    } catch (err) {
      // Another test process may have created it in the meantime; only a still missing user is an error.
      if (!(await idOf(SYSTEM_USER))) throw err;
    }
    found = await idOf(SYSTEM_USER);
    if (!found) throw new Error(`could not create the system user ${SYSTEM_USER} for the test Dovecot`);
  }
  return { name: SYSTEM_USER, group: found.group, uid: found.uid, gid: found.gid };
}

/** A folder name for the user's home: the login may contain `@` and dots, never a path separator. */
const homeName = (user: string) => user.replace(/[^A-Za-z0-9._@-]/g, '_');

function config(dir: string, port: number, as: RunAs): string {
  // Section 2 of docs/research/help-desk-servers.md, verified on Dovecot 2.3.19: everything in
  // `dir`, one plaintext listener on loopback, no chroot, every internal user the one it runs as.
  return `base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = dovecot-test-${port}
log_path = ${dir}/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = ${as.name}
default_internal_group = ${as.group}
default_login_user = ${as.name}
mail_uid = ${as.name}
mail_gid = ${as.group}
first_valid_uid = 0
mail_location = maildir:~/Maildir
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/users
}
userdb {
  driver = passwd-file
  args = username_format=%u ${dir}/users
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
  chroot =
}
service anvil {
  chroot =
}
service imap {
  executable = imap
}
protocol imap {
  mail_max_userip_connections = 50
}
`;
}

async function chownTree(target: string, uid: number, gid: number): Promise<void> {
  await chown(target, uid, gid);
  for (const entry of await readdir(target, { withFileTypes: true })) {
    const child = path.join(target, entry.name);
    if (entry.isDirectory()) await chownTree(child, uid, gid);
    else await chown(child, uid, gid);
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A private Dovecot 2.3 on a free loopback port, with `users` (plaintext passwords in a
 * passwd-file) and their maildirs in a temporary folder. Nothing in /etc is used or changed.
 */
export async function startDovecot(users: DovecotUser[]): Promise<TestDovecot> {
  for (const u of users) {
    if (/[:\n]/.test(u.user) || /[:\n]/.test(u.password)) throw new Error('user and password may not contain ":"');
  }
  const as = await runAs();
  const [port] = (await freePorts(1)) as [number];
  // os.tmpdir() is /tmp (world-enterable), so the Dovecot user can reach the folder once it owns it.
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cc-dovecot-'));
  const conf = path.join(dir, 'dovecot.conf');
  await Promise.all(['run', 'state', 'mail'].map((d) => mkdir(path.join(dir, d))));
  await writeFile(
    path.join(dir, 'users'),
    users.map((u) => `${u.user}:{PLAIN}${u.password}::::${dir}/mail/${homeName(u.user)}\n`).join(''),
    { mode: 0o600 },
  );
  await writeFile(conf, config(dir, port, as));
  if (as.uid !== undefined && as.gid !== undefined) await chownTree(dir, as.uid, as.gid);

  let child: ChildProcess | undefined;
  let output = '';

  const logTail = async () => {
    const log = await readFile(path.join(dir, 'dovecot.log'), 'utf8').catch(() => '');
    return `${log}\n${output}`.trim().split('\n').slice(-20).join('\n');
  };

  const start = async () => {
    output = '';
    // Its own process group, so kill() and stop() reach the master and every child at once.
    const proc = spawn('dovecot', ['-F', '-c', conf], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(as.uid !== undefined ? { uid: as.uid, gid: as.gid } : {}),
    });
    child = proc;
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString('utf8')).slice(-8000);
    };
    proc.stdout?.on('data', collect);
    proc.stderr?.on('data', collect);
    let exited: number | null | undefined;
    let spawnError: Error | undefined;
    proc.once('exit', (code) => (exited = code));
    proc.once('error', (err) => (spawnError = err));
    const deadline = Date.now() + 15_000;
    while (!(await accepts(port))) {
      if (spawnError || exited !== undefined || Date.now() > deadline) {
        const why = spawnError ? spawnError.message : exited !== undefined ? `exited with ${exited}` : 'timed out';
        if (exited === undefined) killGroup('SIGKILL');
        throw new Error(`the test Dovecot did not start on port ${port} (${why}):\n${await logTail()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  const killGroup = (sig: NodeJS.Signals) => {
    if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      // already gone
    }
  };

  const halt = async (sig: NodeJS.Signals) => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    killGroup(sig);
    await exited;
    // The children go with the group; wait until the port is really free for a restart.
    const deadline = Date.now() + 5_000;
    while ((await accepts(port)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  };

  const client = async (user: string) => {
    const found = users.find((u) => u.user === user);
    if (!found) throw new Error(`unknown test user ${user}`);
    const c = new ImapFlow({
      host: '127.0.0.1',
      port,
      secure: false,
      auth: { user: found.user, pass: found.password },
      logger: false,
      disableAutoIdle: true,
    });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  };

  await start();

  return {
    host: '127.0.0.1',
    port,
    start,
    kill: () => halt('SIGKILL'),
    async stop() {
      await halt('SIGTERM');
      await rm(dir, { recursive: true, force: true });
    },
    async append(user, raw, folder = 'INBOX') {
      const c = await client(user);
      try {
        if (folder !== 'INBOX' && !(await c.list()).some((b) => b.path === folder)) await c.mailboxCreate(folder);
        const res = await c.append(folder, raw);
        if (!res || res.uid === undefined || res.uidValidity === undefined) throw new Error('APPEND returned no UID');
        return { uid: res.uid, uidValidity: res.uidValidity.toString() };
      } finally {
        await c.logout();
      }
    },
    async list(user, folder) {
      const c = await client(user);
      try {
        if (!(await c.list()).some((b) => b.path === folder)) return [];
        const box = await c.mailboxOpen(folder);
        if (box.exists === 0) return [];
        const out: { uid: number; messageId?: string }[] = [];
        for await (const m of c.fetch('1:*', { uid: true, envelope: true })) {
          const messageId = m.envelope?.messageId;
          out.push(messageId ? { uid: m.uid, messageId } : { uid: m.uid });
        }
        return out.sort((a, b) => a.uid - b.uid);
      } finally {
        await c.logout();
      }
    },
  };
}
