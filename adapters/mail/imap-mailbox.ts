import type { Readable } from 'node:stream';
import { ImapFlow } from 'imapflow';
import { ConfigError } from '../../platform/config.js';
import type { Logger } from '../../platform/logger.js';
import { MailboxUnavailableError, type InboxMessage, type Mailbox, type MessageRef } from './mailbox.js';
import { pause } from '../../platform/pause.js';

export interface ImapMailboxOptions {
  /** The mailbox's name in the configuration; the only thing about it that reaches the logs. */
  name: string;
  host: string;
  port: number;
  /** TLS from the start (imaps, usually 993); otherwise STARTTLS when the server offers it. */
  secure: boolean;
  user: string;
  password: string;
  /** The folder watched and archived from. Default `INBOX`. */
  folder?: string;
  /**
   * How long the watcher waits in IDLE before it checks the connection with a NOOP and looks for
   * mail again; a NOOP that is not answered in time counts as a drop. Default 5 minutes.
   */
  idleWatchdogMs?: number;
  /** First pause before reconnecting after a drop; it doubles on each failed attempt. Default 1 s. */
  reconnectMinMs?: number;
  /** Longest pause between two reconnection attempts. Default 2 minutes. */
  reconnectMaxMs?: number;
  /**
   * How often the messages whose handler failed are offered again on a live connection, even
   * while new mail keeps arriving. Default 1 minute.
   */
  retryFailedMs?: number;
  log?: Logger;
}

const DEFAULT_WATCHDOG_MS = 5 * 60_000;
const DEFAULT_RECONNECT_MIN_MS = 1_000;
const DEFAULT_RECONNECT_MAX_MS = 2 * 60_000;
const DEFAULT_RETRY_FAILED_MS = 60_000;
/** A NOOP on a live connection takes milliseconds; longer than this and the server is gone. */
const NOOP_DEADLINE_MAX_MS = 30_000;
/** How long a LOGOUT may take before the socket is simply closed. */
const LOGOUT_GRACE_MS = 2_000;
/** After an abort, how long a running IMAP command may go on before the connection is cut. */
const ABORT_GRACE_MS = 2_000;
const CONNECTION_TIMEOUT_MS = 30_000;
/** imapflow's own inactivity timeout; it must not cut the connection before our watchdog does. */
const SOCKET_TIMEOUT_FLOOR_MS = 5 * 60_000;

/** Why a session ended without an IMAP error of its own. */
class ConnectionLost extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

/** The code of an IMAP, socket or login failure: the only detail of a failure that is logged. */
function codeOf(err: unknown): string {
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; serverResponseCode?: unknown; authenticationFailed?: unknown; name?: unknown };
    if (typeof e.code === 'string' && e.code) return e.code;
    if (typeof e.serverResponseCode === 'string' && e.serverResponseCode) return e.serverResponseCode;
    if (e.authenticationFailed) return 'AUTHENTICATIONFAILED';
    if (typeof e.name === 'string') return e.name;
  }
  return 'unknown';
}

const isLoginRefused = (err: unknown) =>
  !!err && typeof err === 'object' && (err as { authenticationFailed?: unknown }).authenticationFailed === true;

/** `work`, or a rejection with `code` when it has not settled within `ms`. */
async function within<T>(work: Promise<T>, ms: number, code: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ConnectionLost(code)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A help-desk mailbox on an IMAP server (imapflow). The watcher keeps one connection in IDLE on
 * the folder and offers its messages one at a time; archiving uses a short connection of its own,
 * so it never has to interleave with the watcher's commands.
 */
export class ImapMailbox implements Mailbox {
  readonly name: string;
  private readonly folder: string;
  private readonly watchdogMs: number;
  private readonly reconnectMinMs: number;
  private readonly reconnectMaxMs: number;
  private readonly retryFailedMs: number;
  private readonly log: Logger | undefined;

  constructor(private readonly options: ImapMailboxOptions) {
    this.name = options.name;
    this.folder = options.folder ?? 'INBOX';
    this.watchdogMs = options.idleWatchdogMs ?? DEFAULT_WATCHDOG_MS;
    this.reconnectMinMs = options.reconnectMinMs ?? DEFAULT_RECONNECT_MIN_MS;
    this.reconnectMaxMs = Math.max(this.reconnectMinMs, options.reconnectMaxMs ?? DEFAULT_RECONNECT_MAX_MS);
    this.retryFailedMs = options.retryFailedMs ?? DEFAULT_RETRY_FAILED_MS;
    this.log = options.log;
  }

  /**
   * A mailbox from `imaps://user:password@host:993/INBOX` (or `imap://`, port 143 by default).
   * User and password are URL-encoded in the address (`@` as `%40`); the path is the folder.
   */
  static fromUrl(
    name: string,
    url: string,
    extra: Pick<
      ImapMailboxOptions,
      'idleWatchdogMs' | 'reconnectMinMs' | 'reconnectMaxMs' | 'retryFailedMs' | 'log'
    > = {},
  ): ImapMailbox {
    // The address carries the password, so no message below repeats it.
    const invalid = (why: string) =>
      new ConfigError(
        `Configurazione non valida: l'indirizzo della casella "${name}" ${why}. ` +
          'Forma attesa: imaps://utente:password@host:993/INBOX (oppure imap://...).',
      );
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw invalid('non è un indirizzo valido');
    }
    if (parsed.protocol !== 'imaps:' && parsed.protocol !== 'imap:') throw invalid('non inizia con imaps:// o imap://');
    if (!parsed.hostname) throw invalid('non indica il server');
    if (!parsed.username) throw invalid("non indica l'utente");
    if (!parsed.password) throw invalid('non indica la password');
    const secure = parsed.protocol === 'imaps:';
    let user: string;
    let password: string;
    let folder: string;
    try {
      user = decodeURIComponent(parsed.username);
      password = decodeURIComponent(parsed.password);
      folder = decodeURIComponent(parsed.pathname.replace(/^\/+/, '').replace(/\/+$/, ''));
    } catch {
      throw invalid('contiene una codifica % non valida');
    }
    const port = parsed.port ? Number(parsed.port) : secure ? 993 : 143;
    // URL keeps IPv6 literals in brackets; the socket wants the bare address.
    const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
    return new ImapMailbox({
      name,
      host,
      port,
      secure,
      user,
      password,
      ...(folder ? { folder } : {}),
      ...extra,
    });
  }

  async watch(onMessage: (message: InboxMessage) => Promise<void>, signal: AbortSignal): Promise<void> {
    let attempts = 0;
    while (!signal.aborted) {
      const { loggedIn, watching, error } = await this.session(onMessage, signal);
      if (signal.aborted) break;
      // A session that got as far as watching starts the backoff over; refused or unreachable
      // ones make it grow, and so do those let in and then failed (a folder that is missing, a
      // server that drops every session during the first pass): they must not be retried at
      // the shortest pause forever.
      attempts = watching ? 1 : attempts + 1;
      const base = Math.min(this.reconnectMaxMs, this.reconnectMinMs * 2 ** (attempts - 1));
      // Jitter, so the four mailboxes (and several instances) do not all come back in step.
      const wait = Math.round(
        Math.min(this.reconnectMaxMs, Math.max(this.reconnectMinMs, base * (0.8 + 0.4 * Math.random()))),
      );
      this.log?.warn(
        { mailbox: this.name, code: codeOf(error), attempt: attempts, retryInMs: wait },
        loggedIn ? 'mailbox connection lost, reconnecting' : 'mailbox connection failed, retrying',
      );
      await pause(wait, signal);
    }
  }

  /**
   * One connection: the whole folder, then new mail as IDLE reports it, until the connection
   * drops (resolves with the error) or `signal` aborts. Never throws.
   */
  private async session(
    onMessage: (message: InboxMessage) => Promise<void>,
    signal: AbortSignal,
  ): Promise<{ loggedIn: boolean; watching: boolean; error?: unknown }> {
    // A new client each time: an imapflow client is not reusable once its connection closed.
    const client = this.client();
    let loggedIn = false;
    let watching = false;
    let lost: Error | undefined;
    let newMail = false;
    let wake: (() => void) | undefined;
    const poke = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    client.on('error', (err: Error) => {
      lost ??= err;
      poke();
    });
    client.on('close', () => {
      lost ??= new ConnectionLost('EConnectionClosed');
      poke();
    });
    client.on('exists', () => {
      newMail = true;
      poke();
    });
    // A function, so the compiler does not take `lost` for unset after the first check: the
    // event handlers above set it at any await.
    const throwIfLost = () => {
      if (lost) throw lost;
    };
    let abortTimer: NodeJS.Timeout | undefined;
    const onAbort = () => {
      poke();
      // A command stuck on a silent server would hold the shutdown until imapflow's own
      // timeout; after a grace period the socket is cut, which fails it at once.
      abortTimer = setTimeout(() => client.close(), loggedIn ? ABORT_GRACE_MS : 0);
    };
    signal.addEventListener('abort', onAbort, { once: true });

    const failed = new Set<number>();
    let uidValidity = '';
    let highest = 0;

    /** Offers the messages of `range` (UIDs) above `above`, in UID order; returns the highest UID offered. */
    const offer = async (range: string, above: number): Promise<number> => {
      const found: { uid: number; size: number }[] = [];
      // Collected before anything else is sent: imapflow deadlocks when a command is issued
      // while a FETCH iterator is still open.
      for await (const m of client.fetch(range, { uid: true, size: true }, { uid: true })) {
        found.push({ uid: m.uid, size: m.size ?? 0 });
      }
      found.sort((a, b) => a.uid - b.uid);
      let top = above;
      for (const m of found) {
        // `N:*` always includes the newest message, even when its UID is below N.
        if (m.uid <= above) continue;
        if (signal.aborted || lost) break;
        top = m.uid;
        await this.deliver(client, { ...m, uidValidity }, onMessage, failed);
      }
      return top;
    };

    try {
      await client.connect();
      loggedIn = true;
      const box = await client.mailboxOpen(this.folder);
      uidValidity = box.uidValidity.toString();
      this.log?.info({ mailbox: this.name, messages: box.exists }, 'mailbox connected');
      highest = await offer('1:*', 0);
      watching = true;
      let lastRetry = Date.now();
      // The last look for new mail: a lost notification is caught up with a watchdog period later.
      let lastScan = Date.now();
      /** The messages whose handler failed and that are still in the folder, offered again. */
      const retryFailed = async () => {
        lastRetry = Date.now();
        if (failed.size === 0) return;
        const again = [...failed].join(',');
        failed.clear();
        await offer(again, 0);
      };
      while (!signal.aborted) {
        throwIfLost();
        const current = client.mailbox ? client.mailbox.uidValidity.toString() : uidValidity;
        if (current !== uidValidity) {
          // Every UID of the old value is meaningless: the folder is offered again as new.
          this.log?.warn({ mailbox: this.name }, 'mailbox UIDVALIDITY changed, offering every message again');
          uidValidity = current;
          failed.clear();
          newMail = false;
          highest = await offer('1:*', 0);
          continue;
        }
        if (newMail) {
          newMail = false;
          highest = await offer(`${highest + 1}:*`, highest);
          lastScan = Date.now();
          continue;
        }
        // Due even on a busy mailbox, where a quiet watchdog period may never come.
        if (failed.size > 0 && Date.now() - lastRetry >= this.retryFailedMs) {
          await retryFailed();
          continue;
        }
        const retryIn = failed.size > 0 ? Math.max(0, this.retryFailedMs - (Date.now() - lastRetry)) : Infinity;
        const waitMs = Math.min(this.watchdogMs, retryIn);
        // IDLE has to be started by hand: imapflow's auto-IDLE (off here) would start it only
        // after its own delay, and new mail would wait for it. Not awaited: it resolves only when
        // the next command (or the server) ends it.
        const woken = new Promise<boolean>((resolve) => (wake = () => resolve(true)));
        client.idle({ whenFree: true }).catch(() => undefined);
        const quiet = new AbortController();
        const byMail = await Promise.race([woken, pause(waitMs, quiet.signal).then(() => false)]);
        quiet.abort();
        wake = undefined;
        if (byMail || signal.aborted) continue;
        // Quiet for a whole watchdog period (or until the failed messages' turn): a NOOP (which
        // ends IDLE) proves the server is still there; then a look for mail a lost notification
        // may have hidden, and another chance for the messages whose handler failed.
        await within(client.noop(), Math.min(this.watchdogMs, NOOP_DEADLINE_MAX_MS), 'SILENT');
        throwIfLost();
        // A look for mail a lost notification may have hidden, once a watchdog period has
        // passed without one, even while failed messages keep the waits short.
        if (Date.now() - lastScan >= this.watchdogMs) {
          highest = await offer(`${highest + 1}:*`, highest);
          lastScan = Date.now();
          // A quiet period is also the failed messages' turn, as it always was.
          await retryFailed();
        }
        // Otherwise their own turn has come: taken at the top of the loop.
      }
      return { loggedIn, watching };
    } catch (error) {
      // After a drop the command in flight fails with a generic code; the drop says more.
      return signal.aborted ? { loggedIn, watching } : { loggedIn, watching, error: lost ?? error };
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (signal.aborted && client.usable) {
        await within(client.logout(), LOGOUT_GRACE_MS, 'LOGOUT').catch(() => undefined);
      }
      clearTimeout(abortTimer);
      client.close();
    }
  }

  /** Hands one message to the handler; a failure is logged and remembered for the next pass. */
  private async deliver(
    client: ImapFlow,
    ref: MessageRef & { size: number },
    onMessage: (message: InboxMessage) => Promise<void>,
    failed: Set<number>,
  ): Promise<void> {
    const streams: Readable[] = [];
    const message: InboxMessage = {
      uid: ref.uid,
      uidValidity: ref.uidValidity,
      size: ref.size,
      open: async () => {
        const download = await client.download(String(ref.uid), undefined, { uid: true });
        if (!download.content) {
          throw new Error(`Il messaggio ${ref.uid} non è più nella casella ${this.name}`);
        }
        streams.push(download.content);
        return download.content;
      },
    };
    try {
      await onMessage(message);
      failed.delete(ref.uid);
    } catch (err) {
      failed.add(ref.uid);
      // The error's name only: its message may quote the sender or the subject.
      this.log?.warn(
        { mailbox: this.name, uid: ref.uid, err: { name: err instanceof Error ? err.name : typeof err } },
        'mailbox message handler failed, offered again at the next pass',
      );
    } finally {
      // A stream the handler left half read would keep fetching chunks behind the next command.
      for (const s of streams) if (!s.readableEnded) s.destroy();
    }
  }

  async archive(ref: MessageRef, folder: string): Promise<'moved' | 'gone'> {
    return this.briefly(async (client) => {
      const box = await client.mailboxOpen(this.folder);
      // Another UIDVALIDITY means the folder was rebuilt: this UID names another message or none.
      if (box.uidValidity.toString() !== ref.uidValidity) return 'gone';
      const present = await client.search({ uid: String(ref.uid) }, { uid: true });
      if (!present || !present.includes(ref.uid)) return 'gone';
      await this.ensureFolder(client, folder);
      const moved = await client.messageMove(String(ref.uid), folder, { uid: true });
      if (moved === false) throw new Error(`Spostamento in "${folder}" non riuscito nella casella ${this.name}`);
      // Moved by someone else between the search and the move: the server moved nothing.
      if (moved.uidMap && !moved.uidMap.has(ref.uid)) return 'gone';
      return 'moved';
    });
  }

  async purge(folder: string, before: Date): Promise<number> {
    return this.briefly(async (client) => {
      const listed = await client.list();
      if (!listed.some((f) => f.path === folder)) return 0;
      await client.mailboxOpen(folder);
      // IMAP's BEFORE compares the day of arrival (the internal date, which a move keeps).
      const old = await client.search({ before }, { uid: true });
      if (!old || old.length === 0) return 0;
      await client.messageDelete(old.join(','), { uid: true });
      return old.length;
    });
  }

  /**
   * `work` on a short connection of its own (never interleaved with the watcher's commands).
   * A server that cannot be reached, refuses the login or drops the connection is
   * `MailboxUnavailableError`; a refusal of a command (NO, BAD) is passed on.
   */
  private async briefly<T>(work: (client: ImapFlow) => Promise<T>): Promise<T> {
    const client = this.client();
    client.on('error', () => undefined);
    const unavailable = (err: unknown) =>
      new MailboxUnavailableError(
        isLoginRefused(err)
          ? `La casella ${this.name} ha rifiutato l'accesso: controllare utente e password`
          : `La casella ${this.name} non è raggiungibile (${codeOf(err)})`,
      );
    try {
      try {
        await client.connect();
      } catch (err) {
        throw unavailable(err);
      }
      try {
        return await work(client);
      } catch (err) {
        if (client.isClosed || !client.usable) throw unavailable(err);
        throw err;
      }
    } finally {
      if (client.usable) await within(client.logout(), LOGOUT_GRACE_MS, 'LOGOUT').catch(() => undefined);
      client.close();
    }
  }

  /** Creates `folder` unless it exists; "already exists" from a concurrent archive is fine too. */
  private async ensureFolder(client: ImapFlow, folder: string): Promise<void> {
    try {
      await client.mailboxCreate(folder);
    } catch (err) {
      if ((err as { serverResponseCode?: unknown }).serverResponseCode === 'ALREADYEXISTS') return;
      throw err;
    }
  }

  private client(): ImapFlow {
    const o = this.options;
    return new ImapFlow({
      host: o.host,
      port: o.port,
      secure: o.secure,
      auth: { user: o.user, pass: o.password },
      // imapflow's own log has the user name and, at debug level, envelopes: never passed on.
      logger: false,
      // IDLE is started by the watcher itself, right after each pass.
      disableAutoIdle: true,
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      socketTimeout: Math.max(SOCKET_TIMEOUT_FLOOR_MS, 2 * this.watchdogMs),
    });
  }
}
