import { Router } from 'express';
import { z } from 'zod';
import { allow } from '../auth/access.js';
import { parseWith } from '../problems.js';
import { NotFoundError, ValidationError } from '../../domain/errors.js';
import type { SimulatedCall, VoiceSimulator } from '../../stand-ins/twilio/voice.js';

const phone = z
  .string()
  .trim()
  .transform((n) => n.replace(/[\s./()-]/g, ''))
  .pipe(z.string().regex(/^\+?\d{6,15}$/, 'numero di telefono non valido'))
  .transform((n) => (n.startsWith('+') ? n : n.startsWith('00') ? `+${n.slice(2)}` : `+39${n}`));
const callBody = z.object({ from: phone, to: phone });
const sidParam = z.object({ sid: z.string().regex(/^CA[0-9a-f]{32}$/, 'chiamata non valida') });
const pressBody = z.object({ digits: z.string().regex(/^[0-9*#]{1,8}$/, 'tasti non validi') });
const speakBody = z.object({ text: z.string().trim().min(1, 'cosa dice il chiamante?').max(300) });

/**
 * A simulated call as the simulator page shows it: what the caller heard and can do now; the
 * list of calls carries only each call's latest events (a long wait repeats its announcement).
 */
function view(c: SimulatedCall, maxEvents = Infinity) {
  return {
    sid: c.sid,
    from: c.from,
    to: c.to,
    direction: c.direction,
    status: c.status,
    events: maxEvents === Infinity ? c.events : c.events.slice(-maxEvents),
    eventCount: c.events.length,
    gathering: c.events.at(-1)?.kind === 'gather',
  };
}

/**
 * The local call simulator behind the workspace's Simulatore chiamate page (embedded default
 * only): a person places a call to one of the lines, hears it as text, presses keys, speaks,
 * hangs up; call-backs and surveys placed by the platform show up as calls to answer.
 */
export function simulatorRoutes(sim: VoiceSimulator): Router {
  const r = Router();
  const who = allow('voice:answer', 'voice:supervise', 'models:view', 'cup:contact');
  const call = (sid: string) => {
    const c = sim.find(sid);
    if (!c) throw new NotFoundError('Chiamata simulata sconosciuta.');
    return c;
  };
  r.get('/calls', who, (_req, res) => {
    // The list is polled: the last few events of each call are enough to show its state.
    res.json(
      sim
        .calls()
        .slice(-30)
        .reverse()
        .map((c) => view(c, 5)),
    );
  });
  r.post('/calls', who, async (req, res) => {
    const { from, to } = parseWith(callBody, req.body ?? {});
    res.status(201).json(view(await sim.call({ from, to })));
  });
  r.get('/calls/:sid', who, (req, res) => {
    res.json(view(call(parseWith(sidParam, req.params).sid)));
  });
  const act =
    (fn: (c: SimulatedCall, body: unknown) => Promise<void>) =>
    async (req: Parameters<Parameters<typeof r.post>[1]>[0], res: Parameters<Parameters<typeof r.post>[1]>[1]) => {
      const c = call(parseWith(sidParam, req.params).sid);
      try {
        await fn(c, req.body ?? {});
      } catch (err) {
        if (err instanceof z.ZodError || (err as Error).name === 'ValidationError') throw err;
        throw new ValidationError((err as Error).message);
      }
      res.json(view(c));
    };
  r.post(
    '/calls/:sid/press',
    who,
    act((c, b) => c.press(parseWith(pressBody, b).digits)),
  );
  r.post(
    '/calls/:sid/speak',
    who,
    act((c, b) => c.speak(parseWith(speakBody, b).text)),
  );
  r.post(
    '/calls/:sid/silence',
    who,
    act((c) => c.silence()),
  );
  r.post(
    '/calls/:sid/hangup',
    who,
    act((c) => c.hangUp()),
  );
  return r;
}
