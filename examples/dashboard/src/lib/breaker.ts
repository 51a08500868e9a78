// A channel's circuit breaker in words: the badge and the line under it.
import { duration } from './time';

export interface Breaker { state: 'closed' | 'open' | 'half_open'; failures: number; opened_at: string | null; retry_at: string | null }

export interface BreakerView { label: string; tone: 'ok' | 'warn' | 'bad'; detail: string }

export function breakerView(b: Breaker, now: number): BreakerView {
  const failures = `${b.failures} consecutive failure${b.failures === 1 ? '' : 's'}`;
  switch (b.state) {
    case 'open': {
      const left = b.retry_at ? (Date.parse(b.retry_at) - now) / 1000 : null;
      return { label: 'open', tone: 'bad', detail: `${failures} · paused, retry in ${left !== null && left > 0 ? duration(left) : 'a moment'}` };
    }
    case 'half_open':
      return { label: 'half-open', tone: 'warn', detail: `${failures} · the next attempt is a probe` };
    default:
      return { label: 'closed', tone: 'ok', detail: b.failures ? `${failures} (opens at the limit)` : 'delivering' };
  }
}
