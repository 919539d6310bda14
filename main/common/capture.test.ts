import { describe, expect, it } from 'vitest';
import { captureClock } from './capture';

describe('captureClock', () => {
  it('says starting, running, the flush after the deadline, and finished, never more than the duration while running', () => {
    expect(captureClock({ elapsedSec: 0, durationSec: 30, done: false })).toBe('agents starting');
    expect(captureClock({ elapsedSec: 12.4, durationSec: 30, done: false })).toBe('12 s of 30 s');
    expect(captureClock({ elapsedSec: 29.6, durationSec: 30, done: false })).toBe('30 s of 30 s');
    expect(captureClock({ elapsedSec: 34.2, durationSec: 30, done: false })).toBe(
      '30 s of 30 s · collecting the last events',
    );
    expect(captureClock({ elapsedSec: 34.2, durationSec: 30, done: true })).toBe('took 34 s');
    expect(captureClock({ elapsedSec: Number.NaN, durationSec: 30, done: false })).toBe('agents starting');
  });
});
