import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import twilio from 'twilio';
import { createVoiceSimulator, type VoiceSimulator, type VoiceSimulatorOptions } from './voice.js';

/**
 * A local stand-in for Twilio's Programmable Messaging REST API (2010-04-01), speaking its
 * wire format: form-encoded `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` with
 * HTTP basic auth, JSON message resources with `sid`, `status`, `num_segments`, and Twilio's
 * error documents (`code`, `message`, `more_info`, `status`), and the message list
 * (`GET …/Messages.json?To=&From=&PageSize=`, newest first, Twilio's page document with
 * `messages` and `next_page_uri`). It lets the real `twilio` client be tested and
 * benchmarked without reaching Twilio.
 *
 * The same server answers the Voice REST resources (`Calls`, `Queues`, queue `Members`) of
 * its call simulator, `voice` (`voice.ts`), with the same basic auth.
 */
export interface StandInMessage {
  sid: string;
  accountSid: string;
  to: string;
  from: string;
  body: string;
  status: string;
  statusCallback: string | undefined;
  numSegments: number;
  dateCreated: Date;
}

export interface TwilioStandIn {
  url: string;
  accountSid: string;
  authToken: string;
  messages: StandInMessage[];
  /** Every Messages.json create request received, accepted or not. */
  requests: number;
  /** The next `count` create requests answer with this HTTP status (e.g. 503). */
  failNext(status: number, count?: number): void;
  /** The next `count` create requests are accepted, then the connection is cut before the answer. */
  loseNextAnswer(count?: number): void;
  /** Message list requests received (`GET Messages.json`). */
  lists: number;
  /** Numbers Twilio would refuse (answered with error 21211, invalid 'To'). */
  rejectNumbers: Set<string>;
  /** Numbers whose messages end `undelivered` (error 30003, unreachable handset). */
  undeliverable: Set<string>;
  /** Status callbacks posted, with the HTTP status the app answered. */
  callbacks: { sid: string; status: string; answer: number }[];
  /** The Twilio Voice call simulator (calls toward the app, Calls and Queues REST resources). */
  voice: VoiceSimulator;
  close(): Promise<void>;
}

/** Options of the voice simulator; the Voice URL can also be set later with `voice.setVoiceUrls`. */
export type TwilioStandInOptions = Partial<Omit<VoiceSimulatorOptions, 'accountSid' | 'authToken'>>;

const rfc2822 = (d: Date) => d.toUTCString().replace('GMT', '+0000');

function twilioError(res: ServerResponse, status: number, code: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }));
}

function segmentsOf(body: string): number {
  // eslint-disable-next-line no-control-regex
  const gsm = /^[\x0a\x0d\x20-\x7e£¥èéùìòÇØøÅåÆæßÉÄÖÑÜ§¿äöñüà€]*$/.test(body);
  const single = gsm ? 160 : 70;
  const part = gsm ? 153 : 67;
  return body.length <= single ? 1 : Math.ceil(body.length / part);
}

function resource(m: StandInMessage): Record<string, unknown> {
  const uri = `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}.json`;
  return {
    account_sid: m.accountSid,
    api_version: '2010-04-01',
    body: m.body,
    date_created: rfc2822(m.dateCreated),
    date_sent: null,
    date_updated: rfc2822(m.dateCreated),
    direction: 'outbound-api',
    error_code: null,
    error_message: null,
    from: m.from,
    messaging_service_sid: null,
    num_media: '0',
    num_segments: String(m.numSegments),
    price: null,
    price_unit: 'EUR',
    sid: m.sid,
    status: m.status,
    subresource_uris: { media: uri.replace('.json', '/Media.json') },
    to: m.to,
    uri,
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  let data = '';
  for await (const chunk of req) data += (chunk as Buffer).toString();
  return data;
}

export async function startTwilioStandIn(port = 0, opts: TwilioStandInOptions = {}): Promise<TwilioStandIn> {
  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  const authToken = randomBytes(16).toString('hex');
  const voice = createVoiceSimulator({ ...opts, voiceUrl: opts.voiceUrl ?? '', accountSid, authToken });
  let failures: { status: number; count: number } | undefined;
  let lostAnswers = 0;
  const state = {
    messages: [] as StandInMessage[],
    requests: 0,
    lists: 0,
    rejectNumbers: new Set<string>(),
    undeliverable: new Set<string>(),
    callbacks: [] as { sid: string; status: string; answer: number }[],
  };

  /** Posts `sent` then the final status to the message's StatusCallback, signed as Twilio signs. */
  const reportDelivery = async (msg: StandInMessage) => {
    const url = msg.statusCallback;
    if (!url) return;
    const final = state.undeliverable.has(msg.to) ? 'undelivered' : 'delivered';
    for (const status of ['sent', final]) {
      msg.status = status;
      const params: Record<string, string> = {
        AccountSid: accountSid,
        ApiVersion: '2010-04-01',
        From: msg.from,
        MessageSid: msg.sid,
        MessageStatus: status,
        SmsSid: msg.sid,
        SmsStatus: status,
        To: msg.to,
        ...(status === 'undelivered' ? { ErrorCode: '30003' } : {}),
      };
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, url, params),
        },
        body: new URLSearchParams(params).toString(),
      }).catch(() => undefined);
      state.callbacks.push({ sid: msg.sid, status, answer: res?.status ?? 0 });
    }
  };
  const expectedAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;

  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (/^\/2010-04-01\/Accounts\/[^/]+\/(?:Calls|Queues)[/.]/.test(url.pathname)) {
        if (req.headers.authorization !== expectedAuth) return twilioError(res, 401, 20003, 'Authenticate');
        const form = req.method === 'POST' ? new URLSearchParams(await readBody(req)) : url.searchParams;
        const answer = await voice.handleRest(req.method ?? 'GET', url.pathname, form);
        if (!answer) return twilioError(res, 404, 20404, `The requested resource ${url.pathname} was not found`);
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(answer.body));
      }
      const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages(?:\/([^/]+))?\.json$/.exec(url.pathname);
      if (!m) return twilioError(res, 404, 20404, `The requested resource ${url.pathname} was not found`);
      if (req.headers.authorization !== expectedAuth || m[1] !== accountSid) {
        return twilioError(res, 401, 20003, 'Authenticate');
      }
      if (req.method === 'GET' && m[2]) {
        const found = state.messages.find((x) => x.sid === m[2]);
        if (!found) return twilioError(res, 404, 20404, `The requested resource ${url.pathname} was not found`);
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(JSON.stringify(resource(found)));
      }
      if (req.method === 'GET') {
        // The list, newest first, filtered as Twilio filters it (To, From), in pages of PageSize.
        state.lists++;
        const to = url.searchParams.get('To');
        const from = url.searchParams.get('From');
        const pageSize = Math.min(1000, Math.max(1, Number(url.searchParams.get('PageSize') ?? 50) || 50));
        const page = Math.max(0, Number(url.searchParams.get('Page') ?? 0) || 0);
        const matching = state.messages.filter((x) => (!to || x.to === to) && (!from || x.from === from)).reverse();
        const slice = matching.slice(page * pageSize, (page + 1) * pageSize);
        const base = `/2010-04-01/Accounts/${accountSid}/Messages.json`;
        const query = (p: number) => {
          const q = new URLSearchParams(url.searchParams);
          q.set('PageSize', String(pageSize));
          q.set('Page', String(p));
          return `${base}?${q.toString()}`;
        };
        res.writeHead(200, { 'content-type': 'application/json' });
        return res.end(
          JSON.stringify({
            end: page * pageSize + Math.max(0, slice.length - 1),
            first_page_uri: query(0),
            messages: slice.map(resource),
            next_page_uri: (page + 1) * pageSize < matching.length ? query(page + 1) : null,
            page,
            page_size: pageSize,
            previous_page_uri: page > 0 ? query(page - 1) : null,
            start: page * pageSize,
            uri: query(page),
          }),
        );
      }
      if (req.method !== 'POST' || m[2]) return twilioError(res, 405, 20004, 'Method not allowed');
      state.requests++;
      const form = new URLSearchParams(await readBody(req));
      if (failures && failures.count > 0) {
        failures.count--;
        return twilioError(res, failures.status, 20500, 'An internal server error has occurred');
      }
      const to = form.get('To') ?? '';
      const from = form.get('From') ?? '';
      const body = form.get('Body') ?? '';
      if (!to) return twilioError(res, 400, 21604, "A 'To' phone number is required.");
      if (!from) return twilioError(res, 400, 21603, "A 'From' phone number is required.");
      if (!body) return twilioError(res, 400, 21602, 'Message body is required.');
      if (body.length > 1600)
        return twilioError(res, 400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
      if (!/^\+[1-9]\d{6,14}$/.test(to) || state.rejectNumbers.has(to)) {
        return twilioError(res, 400, 21211, `The 'To' number ${to} is not a valid phone number.`);
      }
      const msg: StandInMessage = {
        sid: `SM${randomBytes(16).toString('hex')}`,
        accountSid,
        to,
        from,
        body,
        status: 'queued',
        statusCallback: form.get('StatusCallback') ?? undefined,
        numSegments: segmentsOf(body),
        dateCreated: new Date(),
      };
      state.messages.push(msg);
      if (lostAnswers > 0) {
        lostAnswers--;
        // Taken, but the answer never reaches the client (a timeout, a cut connection).
        setTimeout(() => void reportDelivery(msg), 20);
        return req.socket.destroy();
      }
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify(resource(msg)));
      setTimeout(() => void reportDelivery(msg), 20);
    })().catch(() => twilioError(res, 500, 20500, 'An internal server error has occurred'));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: actual } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${actual}`,
    accountSid,
    authToken,
    get messages() {
      return state.messages;
    },
    get requests() {
      return state.requests;
    },
    rejectNumbers: state.rejectNumbers,
    undeliverable: state.undeliverable,
    callbacks: state.callbacks,
    failNext(status: number, count = 1) {
      failures = { status, count };
    },
    loseNextAnswer(count = 1) {
      lostAnswers = count;
    },
    get lists() {
      return state.lists;
    },
    voice,
    close: async () => {
      await voice.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
