/**
 * Queueing models for one interval of a telephone line (a half-hour): calls arrive at random
 * (Poisson), each holds an operator for an exponential handle time (talk and after-call work),
 * and, in Erlang A, a waiting caller hangs up after an exponential patience. Pure functions;
 * docs/staffing.md gives the formulas and the published figures the tests check them against.
 */

/** One interval's traffic: calls offered in `periodS` seconds, each handled in `ahtS` on average. */
export interface Traffic {
  calls: number;
  periodS: number;
  ahtS: number;
  /** Mean patience of a waiting caller (Erlang A); `null` or ≤ 0: callers never hang up (Erlang C). */
  patienceS: number | null;
  /** The service level's limit: answered within this many seconds. */
  targetS: number;
}

/** What an interval is expected to give with `servers` operators on the phones. */
export interface QueueFigures {
  servers: number;
  /** Offered load in Erlangs (arrival rate × handle time). */
  erlangs: number;
  /** Answered within `targetS`, over the calls offered. */
  answeredWithin: number;
  /** Answered within `targetS` or lost within it (the contract's reading of §6.1's note), over offered. */
  answeredOrLostWithin: number;
  /** Hung up before an answer, over offered (Erlang C: 0, or the share beyond the operators' capacity when the queue grows without end). */
  lost: number;
  /** A call had to wait at all. */
  waitProbability: number;
  /** Mean wait of every call, answered or lost (seconds; Little's law on the queue). */
  meanWaitS: number;
  /** Share of the operators' time spent handling calls. */
  occupancy: number;
}

/** Erlang B: the share of calls blocked with `n` servers and `a` Erlangs (stable recursion, any real `a`). */
export function erlangB(n: number, a: number): number {
  if (a <= 0) return 0;
  let b = 1;
  for (let k = 1; k <= n; k++) b = (a * b) / (k + a * b);
  return b;
}

/** Erlang C: the probability that a call waits, with `n` servers and `a` Erlangs (1 when n ≤ a: no steady state). */
export function erlangC(n: number, a: number): number {
  if (a <= 0) return 0;
  if (n <= a) return 1;
  const b = erlangB(n, a);
  return b / (1 - (a / n) * (1 - b));
}

/** Erlang C (no abandonment): the classic closed formulas. */
export function erlangCFigures(t: Traffic, servers: number): QueueFigures {
  const a = (t.calls / t.periodS) * t.ahtS;
  if (t.calls <= 0) return idle(servers);
  if (servers <= a) {
    // The queue grows for as long as the interval lasts: nobody is answered in time, and the
    // calls beyond what the operators can handle (1 − n/a of them) are, in effect, lost.
    return {
      servers,
      erlangs: a,
      answeredWithin: 0,
      answeredOrLostWithin: 0,
      lost: Math.max(0, 1 - servers / a),
      waitProbability: 1,
      meanWaitS: Number.POSITIVE_INFINITY,
      occupancy: servers > 0 ? 1 : 0,
    };
  }
  const c = erlangC(servers, a);
  const sl = 1 - c * Math.exp((-(servers - a) * t.targetS) / t.ahtS);
  return {
    servers,
    erlangs: a,
    answeredWithin: sl,
    answeredOrLostWithin: sl,
    lost: 0,
    waitProbability: c,
    meanWaitS: (c * t.ahtS) / (servers - a),
    occupancy: a / servers,
  };
}

/** Below this, a state's probability is left out of the chain (relative to the largest). */
const TAIL = 1e-13;

/**
 * Erlang A (M/M/n+M) from its birth–death chain: state k = calls in the system, born at the
 * arrival rate λ, dying at μ·min(k, n) + θ·max(k − n, 0) (served, or hung up while waiting).
 * An arriving call sees the stationary state (PASTA). One that finds all n busy and j waiting
 * ahead reaches an operator after the j ahead leave (each step at rate nμ + iθ with i ahead)
 * and one more service ends, unless its own patience (rate θ) runs out first: that small
 * absorbing chain is solved by uniformisation for the target's seconds.
 */
export function erlangAFigures(t: Traffic, servers: number): QueueFigures {
  if (t.calls <= 0) return idle(servers);
  if (!t.patienceS || t.patienceS <= 0) return erlangCFigures(t, servers);
  if (servers <= 0) {
    // Nobody on the phones: every caller waits until their patience ends.
    return {
      servers: 0,
      erlangs: (t.calls / t.periodS) * t.ahtS,
      answeredWithin: 0,
      answeredOrLostWithin: 1 - Math.exp(-t.targetS / t.patienceS),
      lost: 1,
      waitProbability: 1,
      meanWaitS: t.patienceS,
      occupancy: 0,
    };
  }
  const lambda = t.calls / t.periodS;
  const mu = 1 / t.ahtS;
  const theta = 1 / t.patienceS;
  const n = servers;
  // Unnormalised stationary probabilities, rescaled when they grow large.
  const p: number[] = [1];
  let max = 1;
  for (let k = 1; ; k++) {
    const death = mu * Math.min(k, n) + theta * Math.max(k - n, 0);
    let next = ((p[k - 1] ?? 0) * lambda) / death;
    if (next > 1e250) {
      for (let i = 0; i < p.length; i++) p[i] = (p[i] ?? 0) / next;
      max /= next;
      next = 1;
    }
    p.push(next);
    if (next > max) max = next;
    if (k > n && next < TAIL * max && lambda < death) break;
    if (k > n + 100_000) break;
  }
  const total = p.reduce((s, x) => s + x, 0);
  const pi = p.map((x) => x / total);
  let waitProbability = 0;
  let queue = 0;
  for (let k = n; k < pi.length; k++) {
    waitProbability += pi[k] ?? 0;
    queue += (k - n) * (pi[k] ?? 0);
  }
  const lost = (theta * queue) / lambda;
  const { served, abandoned } = waitOutcomes(pi.length - n, n * mu, theta, t.targetS);
  let answeredWithin = 0;
  let lostWithin = 0;
  for (let k = 0; k < pi.length; k++) {
    const pk = pi[k] ?? 0;
    if (k < n) answeredWithin += pk;
    else {
      answeredWithin += pk * (served[k - n] ?? 0);
      lostWithin += pk * (abandoned[k - n] ?? 0);
    }
  }
  return {
    servers,
    erlangs: lambda * t.ahtS,
    answeredWithin,
    answeredOrLostWithin: answeredWithin + lostWithin,
    lost,
    waitProbability,
    meanWaitS: queue / lambda,
    occupancy: Math.min(1, (lambda * (1 - lost) * t.ahtS) / n),
  };
}

/**
 * For a call that finds j = 0 … J−1 waiting ahead of it: the probability that it is answered
 * within `t` seconds, and that it hangs up within them. Phase i (i ahead) moves on at nμ + iθ;
 * from phase 0 the next service end answers it; its own patience ends it at θ in any phase.
 * Uniformised at Λ = nμ + Jθ: a Poisson number of jumps of the embedded chain.
 */
function waitOutcomes(J: number, nMu: number, theta: number, t: number): { served: number[]; abandoned: number[] } {
  const served = new Array<number>(J).fill(0);
  const abandoned = new Array<number>(J).fill(0);
  if (J <= 0 || t <= 0) return { served, abandoned };
  const L = nMu + J * theta;
  const lt = L * t;
  // P(absorbed as answered / as lost within m jumps), for each starting phase.
  let gs = new Array<number>(J).fill(0);
  let ga = new Array<number>(J).fill(0);
  // Poisson weights of the jumps, in logarithms: e^{−Λt} underflows for a long limit.
  const logLt = Math.log(lt);
  let logWeight = -lt;
  let cumulative = Math.exp(logWeight);
  // m = 0 contributes nothing (not absorbed yet); iterate the jumps.
  const mMax = Math.ceil(lt + 12 * Math.sqrt(lt) + 30);
  for (let m = 1; m <= mMax; m++) {
    const ns = new Array<number>(J);
    const na = new Array<number>(J);
    for (let i = 0; i < J; i++) {
      const move = (nMu + i * theta) / L;
      const quit = theta / L;
      const stay = 1 - move - quit;
      const aheadS = i === 0 ? 1 : (gs[i - 1] ?? 0);
      const aheadA = i === 0 ? 0 : (ga[i - 1] ?? 0);
      ns[i] = move * aheadS + stay * (gs[i] ?? 0);
      na[i] = move * aheadA + quit + stay * (ga[i] ?? 0);
    }
    gs = ns;
    ga = na;
    logWeight += logLt - Math.log(m);
    const w = Math.exp(logWeight);
    for (let i = 0; i < J; i++) {
      served[i] = (served[i] ?? 0) + w * (gs[i] ?? 0);
      abandoned[i] = (abandoned[i] ?? 0) + w * (ga[i] ?? 0);
    }
    cumulative += w;
    if (m > lt && 1 - cumulative < 1e-12) break;
  }
  return { served, abandoned };
}

function idle(servers: number): QueueFigures {
  return {
    servers,
    erlangs: 0,
    answeredWithin: 1,
    answeredOrLostWithin: 1,
    lost: 0,
    waitProbability: 0,
    meanWaitS: 0,
    occupancy: 0,
  };
}
