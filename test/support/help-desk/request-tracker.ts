import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ALL_HELP_DESK_QUEUES } from '../../../adapters/tickets/queues.js';
import { DEFAULT_MESSAGE_KEY_FIELD, DEFAULT_REQUEST_KEY_FIELD } from '../../../adapters/tickets/rt-tickets.js';
import { freePorts } from '../ports.js';

const RT_SERVER = '/usr/share/request-tracker5/libexec/rt-server';
const RT_SETUP_DATABASE = '/usr/sbin/rt-setup-database-5';
const RT_LIB = '/usr/share/request-tracker5/lib';

/** The privileged RT user the adapter logs in as. */
export const RT_TEST_USER = 'contact-center';

export interface TestRequestTracker {
  /** RT's web address, without `/REST/2.0`. */
  url: string;
  /** An auth token of `contact-center`. */
  token: string;
  /** Seconds from the call to the first HTTP answer (init, setup, start). */
  startSeconds: number;
  stop(): Promise<void>;
}

/**
 * The rights the adapter needs (docs/research/help-desk-servers.md section 3) plus the custom
 * fields'. The user's time zone is UTC because RT reads a TicketSQL query's dates in it.
 */
const SETUP_SCRIPT = String.raw`
use strict; use warnings;
use lib '${RT_LIB}';
use JSON ();
use RT; RT::LoadConfig(); RT::Init();
my $setup = do { local $/; open my $f, '<:raw', $ARGV[0] or die "$ARGV[0]: $!"; JSON::decode_json(<$f>) };
my $system = RT->SystemUser;
for my $name (@{ $setup->{queues} }) {
  my ($ok, $msg) = RT::Queue->new($system)->Create(Name => $name);
  die "queue $name: $msg\n" unless $ok;
}
for my $spec ([$setup->{ticketFields}, RT::Ticket->CustomFieldLookupType],
              [$setup->{transactionFields}, RT::Transaction->CustomFieldLookupType]) {
  for my $name (@{ $spec->[0] }) {
    my $cf = RT::CustomField->new($system);
    my ($ok, $msg) = $cf->Create(Name => $name, Type => 'Freeform', MaxValues => 1, LookupType => $spec->[1]);
    die "custom field $name: $msg\n" unless $ok;
    # Queue 0: applied globally, to every queue.
    ($ok, $msg) = $cf->AddToObject(RT::Queue->new($system));
    die "custom field $name: $msg\n" unless $ok;
  }
}
my $user = RT::User->new($system);
my ($ok, $msg) = $user->Create(Name => $setup->{user}, EmailAddress => "$setup->{user}\@example.test",
                               Privileged => 1, Timezone => 'UTC');
die "user: $msg\n" unless $ok;
for my $right (qw(ManageAuthTokens SeeQueue ShowTicket CreateTicket ReplyToTicket CommentOnTicket
                  ModifyTicket ShowTicketComments OwnTicket SeeCustomField ModifyCustomField)) {
  my ($granted, $why) = $user->PrincipalObj->GrantRight(Right => $right, Object => RT->System);
  die "$right: $why\n" unless $granted;
}
my ($made, $why, $auth) = RT::AuthToken->new(RT::CurrentUser->new($user))
  ->Create(Owner => $user->Id, Description => 'contact center tests');
die "token: $why\n" unless $made;
print "$auth\n";
`;

function siteConfig(dir: string, port: number): string {
  // Perl single-quoted strings: the temp path has no quote or backslash (mkdtemp under tmpdir).
  // RT checks the token's bcrypt hash on every REST2 request: at RT's default cost (12) that is
  // about 250 ms of CPU per call, which made the contract suite take minutes. The token is
  // made after this config is read, so it is hashed (and checked) at cost 4.
  return `Set($rtname, 'helpdesk.test');
Set($Organization, 'helpdesk.test');
Set($CorrespondAddress, 'helpdesk@example.test');
Set($CommentAddress, 'helpdesk-comment@example.test');
Set($Timezone, 'Europe/Rome');
Set($DatabaseType, 'SQLite');
Set($DatabaseName, '${dir}/rt.db');
Set($WebDomain, '127.0.0.1');
Set($WebPort, ${port});
Set($WebPath, '');
Set($WebBaseURL, 'http://127.0.0.1:${port}');
Set($LogToSTDERR, 'warning');
Set($LogToSyslog, undef);
Set($LogToFile, undef);
Set($MailCommand, 'testfile');
Set($BcryptCost, 4);
1;
`;
}

/** Runs a command to its end; its output goes into the error when it fails. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(`${path.basename(command)} è terminato con codice ${code}:\n${tail(`${out}\n${err}`)}`));
    });
  });
}

function tail(text: string, lines = 30): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A private Request Tracker 5 on loopback, as docs/research/help-desk-servers.md section 3
 * verified: its own site config and an EMPTY site config folder (Debian's would override the
 * database and the web path), a fresh SQLite database, `rt-server` with two workers in its own
 * session, stopped by killing the process group. It holds the help desk's queues, the custom
 * fields the adapter keeps its request keys in (and `Canale`), and the user `contact-center`.
 */
export async function startRequestTracker(): Promise<TestRequestTracker> {
  const started = Date.now();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'cc-rt-'));
  const [port] = (await freePorts(1)) as [number];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    RT_SITE_CONFIG: path.join(dir, 'RT_SiteConfig.pm'),
    RT_SITE_CONFIG_DIR: path.join(dir, 'siteconfig.d'),
    // RT's `testfile` mailer keeps the outgoing mail in a temp file: inside our folder.
    TMPDIR: dir,
  };
  const logPath = path.join(dir, 'server.log');
  let pgid: number | undefined;
  let exited: Promise<void> = Promise.resolve();
  const killAll = () => {
    if (pgid !== undefined && groupAlive(pgid)) process.kill(-pgid, 'SIGTERM');
  };

  const stop = async () => {
    process.off('exit', killAll);
    if (pgid !== undefined) {
      killAll();
      const deadline = Date.now() + 5000;
      while (groupAlive(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };

  try {
    await mkdir(path.join(dir, 'siteconfig.d'));
    await writeFile(env.RT_SITE_CONFIG!, siteConfig(dir, port));
    await writeFile(path.join(dir, 'setup.pl'), SETUP_SCRIPT);
    await writeFile(
      path.join(dir, 'setup.json'),
      JSON.stringify({
        user: RT_TEST_USER,
        queues: ALL_HELP_DESK_QUEUES,
        ticketFields: [DEFAULT_REQUEST_KEY_FIELD, 'Canale'],
        transactionFields: [DEFAULT_MESSAGE_KEY_FIELD],
      }),
    );
    await run(RT_SETUP_DATABASE, ['--action', 'init', '--skip-create'], env);
    // The setup runs before the server starts, so no worker holds a stale view of the database.
    const token = (await run('perl', [path.join(dir, 'setup.pl'), path.join(dir, 'setup.json')], env))
      .trim()
      .split('\n')
      .pop();
    if (!token) throw new Error('lo script di configurazione di RT non ha restituito il token');

    const log = await open(logPath, 'a');
    // `detached` puts rt-server in its own session (setsid), so its prefork workers share its
    // process group and go with it.
    const server = spawn(RT_SERVER, ['--host', '127.0.0.1', '--port', String(port), '--max-workers', '2'], {
      env,
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
    });
    await log.close();
    pgid = server.pid;
    process.on('exit', killAll);
    let exitCode: number | null | undefined;
    exited = new Promise((resolve) =>
      server.once('exit', (code) => {
        exitCode = code;
        resolve();
      }),
    );
    server.once('error', () => (exitCode = -1));

    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (exitCode !== undefined) throw new Error(`rt-server è terminato (codice ${exitCode})`);
      try {
        const res = await fetch(`${url}/REST/2.0/queues/all`, {
          headers: { authorization: `token ${token}` },
          signal: AbortSignal.timeout(2000),
        });
        await res.arrayBuffer();
        if (res.status === 200) break;
        throw new Error(`rt-server risponde ${res.status}`);
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return { url, token, startSeconds: (Date.now() - started) / 1000, stop };
  } catch (err) {
    const log = await readFile(logPath, 'utf8').catch(() => '');
    await stop().catch(() => undefined);
    throw new Error(
      `Request Tracker di prova non avviato: ${(err as Error).message}${log ? `\nUltime righe del log:\n${tail(log)}` : ''}`,
      { cause: err },
    );
  }
}
