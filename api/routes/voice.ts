import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { ApiDeps } from '../app.js';
import { actorOf, allow, auditRead, hasPermission } from '../auth/access.js';
import { parseWith } from '../problems.js';
import { NotFoundError } from '../../domain/errors.js';
import { twilioSigned } from '../twilio-signature.js';
import { callStatus, gatherResult, incomingCall, queueWait } from '../../adapters/voice/twilio-voice-params.js';
import { softphoneToken } from '../../adapters/voice/softphone.js';
import { SETTABLE_PRESENCES } from '../../domain/voice/acd.js';
import { clientIdentity, skillsOf, VOICE_QUEUES } from '../../domain/voice/skills.js';
import { Surveys } from '../../domain/voice/surveys.js';
import { maskNumber } from '../../domain/voice/call-records.js';

const callSidParam = z.object({ callSid: z.string().regex(/^CA[0-9a-f]{32}$/, 'CallSid non valido') });
const contactQuery = z.object({ contact: z.string().regex(/^CA[0-9a-f]{32}$/, 'contatto non valido') });
const seqQuery = z.object({
  seq: z.coerce.number().int().min(1).max(10_000),
  contact: z
    .string()
    .regex(/^SURVEY-CA[0-9a-f]{32}$/)
    .optional(),
});
const surveyQuery = z.object({ survey: z.string().regex(/^SURVEY-CA[0-9a-f]{32}$/, 'sondaggio non valido') });
const skillsBody = z.object({
  skills: z.array(z.enum(VOICE_QUEUES, { error: `code: ${VOICE_QUEUES.join(', ')}` })).max(VOICE_QUEUES.length),
});
const optOutBody = z.object({
  number: z
    .string()
    .trim()
    .transform((n) => n.replace(/[\s./()-]/g, ''))
    .pipe(z.string().regex(/^\+[1-9]\d{7,14}$/, 'numero in formato internazionale, es. +393331234567')),
});
const usernameParam = z.object({ username: z.string().trim().min(1).max(100) });
const presenceBody = z.object({
  presence: z.enum(SETTABLE_PRESENCES, { error: 'stato non valido: disponibile, pausa o assente' }),
});

/** The `twiml` answer of a voice webhook. */
function sendTwiml(res: Response, xml: string): void {
  res.status(200).type('text/xml').send(xml);
}

/**
 * Twilio's voice webhooks: the Voice URL of every number (`POST /webhooks/twilio/voice`), the
 * steps its TwiML points to, and the status callbacks. Each request is signed by Twilio
 * (403 otherwise, nothing read or written) and its parameters validated. When the platform
 * itself fails, the caller hears an apology instead of Twilio's "application error".
 */
export function voiceWebhookRoutes(deps: ApiDeps): Router {
  const voice = deps.voice;
  const r = Router();
  r.use(express.urlencoded({ extended: false, limit: '64kb' }));
  const signed = twilioSigned(deps.voiceWebhook, deps.log);
  const body = (req: Request) => (req.body ?? {}) as Record<string, string>;
  const handle =
    (fn: (req: Request) => Promise<string> | string) =>
    async (req: Request, res: Response): Promise<void> => {
      let xml: string;
      try {
        xml = await fn(req);
      } catch (err) {
        if ((err as Error).name === 'ValidationError') throw err;
        deps.log.error(
          { err: { name: (err as Error).name, message: (err as Error).message.slice(0, 300) }, path: req.path },
          'voice webhook failed',
        );
        xml = voice.apology();
      }
      sendTwiml(res, xml);
    };
  r.post(
    '/twilio/voice',
    signed,
    handle((req) => voice.incoming(parseWith(incomingCall, body(req)))),
  );
  r.post(
    '/twilio/voice/step',
    signed,
    handle((req) => {
      const q = parseWith(seqQuery, req.query);
      return voice.gathered(parseWith(gatherResult, body(req)), q.seq, q.contact);
    }),
  );
  r.post(
    '/twilio/voice/wait',
    signed,
    handle((req) => voice.waiting(parseWith(queueWait, body(req)))),
  );
  r.post(
    '/twilio/voice/wait-choice',
    signed,
    handle((req) => voice.waitChoice(parseWith(gatherResult, body(req)))),
  );
  r.post(
    '/twilio/voice/queue-result',
    signed,
    handle((req) => {
      parseWith(incomingCall, body(req));
      return voice.queueResult(body(req)['QueueResult']);
    }),
  );
  r.post(
    '/twilio/voice/connect',
    signed,
    handle((req) => {
      parseWith(incomingCall, body(req));
      const { contact } = parseWith(contactQuery, req.query);
      return voice.connect(contact, req.originalUrl);
    }),
  );
  r.post(
    '/twilio/voice/dial-end',
    signed,
    handle((req) => {
      parseWith(incomingCall, body(req));
      const { contact } = parseWith(contactQuery, req.query);
      return voice.dialEnded(contact, {
        CallStatus: body(req)['CallStatus'] ?? '',
        DialCallStatus: body(req)['DialCallStatus'],
      });
    }),
  );
  r.post(
    '/twilio/voice/survey',
    signed,
    handle((req) =>
      voice.surveyAnswered(
        parseWith(incomingCall, body(req)),
        parseWith(surveyQuery, req.query).survey,
        req.originalUrl,
      ),
    ),
  );
  r.post('/twilio/voice-status', signed, async (req, res) => {
    const update = parseWith(callStatus, body(req));
    const contact = typeof req.query['contact'] === 'string' ? parseWith(contactQuery, req.query).contact : undefined;
    const survey = typeof req.query['survey'] === 'string' ? parseWith(surveyQuery, req.query).survey : undefined;
    await voice.status(update, contact, survey);
    // Unknown calls are acknowledged too: Twilio would otherwise retry a callback we cannot use.
    res.status(204).end();
  });
  return r;
}

/**
 * The operators' telephone in the workspace: presence, the call offered, accept or decline,
 * hang up; the supervisors' board; the contact records (the caller's number only with
 * personal-data rights, and each such read audited).
 */
export function voiceRoutes(deps: ApiDeps): Router {
  const voice = deps.voice;
  const r = Router();
  const me = async (req: Request) => {
    const p = actorOf(req);
    return voice.acd.operator(p.id, skillsOf(req.principal?.roles ?? []));
  };
  // Who is calling: looked up once per operator and call (the console asks every second), each
  // read of the call's number and of the matching patients audited once.
  const seen = new Map<string, { id: string; name: string; fiscalCode: string }[]>();
  r.get('/me', allow('voice:answer'), async (req, res) => {
    const state = await me(req);
    const call = state.currentCall ?? state.offer?.callSid;
    const personal = hasPermission(req, 'personal:read');
    const record = call ? await voice.records.get(call, { personal }) : undefined;
    let patients: { id: string; name: string; fiscalCode: string }[] = [];
    if (record?.caller && personal) {
      const key = `${state.username}:${record.callSid}`;
      const known = seen.get(key);
      if (known) patients = known;
      else {
        await auditRead(req, 'call', record.contactId);
        patients = (await deps.cup.findPatientsByPhone(record.caller).catch(() => [])).map((p) => ({
          id: p.id,
          name: `${p.givenName} ${p.familyName}`,
          fiscalCode: p.fiscalCode,
        }));
        for (const p of patients) await auditRead(req, 'patient', p.id, { via: 'caller-number' });
        if (seen.size > 1000) seen.clear();
        seen.set(key, patients);
      }
    }
    res.json({ ...state, call: record ?? null, callerPatients: patients, now: voice.clock().toISOString() });
  });
  r.put('/me/presence', allow('voice:answer'), async (req, res) => {
    const { presence } = parseWith(presenceBody, req.body ?? {});
    const p = actorOf(req);
    res.json(await voice.acd.setPresence(p.id, presence, skillsOf(req.principal?.roles ?? [])));
  });
  r.post('/offers/:callSid/accept', allow('voice:answer'), async (req, res) => {
    const { callSid } = parseWith(callSidParam, req.params);
    const entry = await voice.accept(actorOf(req).id, callSid);
    res.json({ callSid: entry.callSid, queue: entry.queue, requestType: entry.requestType, callback: entry.callback });
  });
  r.post('/offers/:callSid/decline', allow('voice:answer'), async (req, res) => {
    const { callSid } = parseWith(callSidParam, req.params);
    await voice.acd.decline(actorOf(req).id, callSid);
    res.status(204).end();
  });
  r.post('/calls/:callSid/hangup', allow('voice:answer'), async (req, res) => {
    const { callSid } = parseWith(callSidParam, req.params);
    await voice.hangUp(actorOf(req).id, callSid);
    res.status(204).end();
  });
  // The browser softphone's access token (production, with Twilio): the operator's identity is their username.
  r.get('/token', allow('voice:answer'), (req, res) => {
    if (!deps.softphone) {
      res.status(404).json({
        title: 'Non trovato',
        detail: 'Softphone non configurato: sulla configurazione locale si usa il simulatore di chiamate.',
      });
      return;
    }
    res.setHeader('cache-control', 'no-store');
    const identity = clientIdentity(actorOf(req).id);
    res.json({ identity, token: softphoneToken(deps.softphone, identity), ttlSeconds: 3600 });
  });
  r.get('/board', allow('voice:supervise'), async (_req, res) => {
    res.json({ ...(await voice.acd.board()), now: voice.clock().toISOString() });
  });
  r.put('/operators/:username/skills', allow('voice:supervise'), async (req, res) => {
    const { username } = parseWith(usernameParam, req.params);
    const { skills } = parseWith(skillsBody, req.body ?? {});
    if (!(await deps.users.principal(username))) throw new NotFoundError('Utente sconosciuto.');
    const state = await voice.acd.setSkills(username, skills);
    await req.audit?.({ action: 'voice-skills.changed', subjectType: 'user', subjectId: username, detail: { skills } });
    res.json(state);
  });
  // A citizen who asked not to be called for the satisfaction survey (V6).
  r.post('/survey-optouts', allow('voice:supervise', 'voice:answer'), async (req, res) => {
    const { number } = parseWith(optOutBody, req.body ?? {});
    await new Surveys(deps.db).optOut(number);
    await req.audit?.({ action: 'voice-survey.opted-out', subjectType: 'phone', subjectId: maskNumber(number) ?? '' });
    res.status(204).end();
  });
  // The list masks the callers' numbers; one record, read with personal-data rights, shows it (audited).
  r.get('/calls', allow('voice:supervise'), async (req, res) => {
    const line = typeof req.query['line'] === 'string' ? req.query['line'] : undefined;
    res.json(await voice.records.list({ ...(line ? { line } : {}), limit: 200, personal: false }));
  });
  r.get('/calls/:callSid', allow('voice:supervise', 'voice:answer'), async (req, res) => {
    const { callSid } = parseWith(callSidParam, req.params);
    const personal = hasPermission(req, 'personal:read');
    const record = await voice.records.get(callSid, { personal });
    if (!record) {
      res.status(404).json({ title: 'Non trovato', detail: 'Chiamata sconosciuta.' });
      return;
    }
    if (personal) await auditRead(req, 'call', record.contactId);
    res.json({ ...record, events: await voice.records.events(callSid) });
  });
  return r;
}
