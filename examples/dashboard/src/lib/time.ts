// Times for people. Pure, given `now`.

/** "just now", "5m ago", "3h ago", "2d ago"; future times as "in 5m". */
export function relative(iso: string | null | undefined, now: number = Date.now()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const diff = Math.round((now - t) / 1000);
  const abs = Math.abs(diff);
  const unit = abs < 45 ? '' : abs < 3600 ? `${Math.round(abs / 60)}m` : abs < 86400 ? `${Math.round(abs / 3600)}h` : `${Math.round(abs / 86400)}d`;
  if (!unit) return diff >= 0 ? 'just now' : 'in a moment';
  return diff >= 0 ? `${unit} ago` : `in ${unit}`;
}

/** A duration in seconds as "42s", "7m", "3h 5m", "2d 4h". */
export function duration(secs: number | null | undefined): string {
  if (secs === null || secs === undefined || !Number.isFinite(secs)) return '—';
  const s = Math.round(secs);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.round(s / 60)}m`;
  if (s < 86400) {
    const m = Math.round((s % 3600) / 60);
    return m ? `${Math.floor(s / 3600)}h ${m}m` : `${Math.floor(s / 3600)}h`;
  }
  const h = Math.round((s % 86400) / 3600);
  return h ? `${Math.floor(s / 86400)}d ${h}h` : `${Math.floor(s / 86400)}d`;
}

/** A local date-time for a tooltip. */
export function absolute(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleString();
}

/** Snooze presets: 1 h, 4 h, tomorrow 09:00 (local). */
export function snoozeUntil(preset: '1h' | '4h' | 'tomorrow', now: Date = new Date()): string {
  if (preset === '1h') return new Date(now.getTime() + 3600_000).toISOString();
  if (preset === '4h') return new Date(now.getTime() + 4 * 3600_000).toISOString();
  const t = new Date(now);
  t.setDate(t.getDate() + 1);
  t.setHours(9, 0, 0, 0);
  return t.toISOString();
}
