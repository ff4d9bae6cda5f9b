import { describe, expect, it } from 'vitest';
import { sampleOf, scoresOf, seededShuffle } from '../../domain/voice/surveys.js';

describe('the survey sample (V6)', () => {
  const calls = Array.from({ length: 200 }, (_, i) => `CA${String(i).padStart(32, '0')}`);

  it('draws 10 %, the same calls for the same day and others for another day', () => {
    const a = sampleOf(calls, 10, 'survey:2026-12-01');
    expect(a).toHaveLength(20);
    expect(new Set(a).size).toBe(20);
    expect(sampleOf(calls, 10, 'survey:2026-12-01')).toEqual(a);
    expect(sampleOf(calls, 10, 'survey:2026-12-02')).not.toEqual(a);
    expect(sampleOf(calls.slice(0, 3), 10, 'survey:2026-12-01')).toHaveLength(1);
    expect(sampleOf([], 10, 'x')).toEqual([]);
  });

  it('shuffles without losing or repeating anyone, and spreads the draw', () => {
    const shuffled = seededShuffle(calls, 'seed');
    expect([...shuffled].sort()).toEqual(calls);
    // Over many days every call is drawn now and then: no call is favoured by its position.
    const drawn = new Map<string, number>();
    for (let d = 0; d < 300; d++)
      for (const c of sampleOf(calls, 10, `survey:${d}`)) drawn.set(c, (drawn.get(c) ?? 0) + 1);
    expect(drawn.size).toBe(200);
    expect(Math.max(...drawn.values())).toBeLessThan(60);
  });

  it('keeps only the scores 1 to 5 as answers', () => {
    expect(scoresOf({ score1: '5', score2: '', score3: '9' })).toEqual({ score1: 5, score2: null, score3: null });
  });
});
