export function timeAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const secs = Math.round((now - new Date(iso).getTime()) / 1000);
  const abs = Math.abs(secs);
  const unit = abs < 60 ? [abs, 's'] : abs < 3600 ? [Math.round(abs / 60), 'min'] : abs < 86400 ? [Math.round(abs / 3600), 'h'] : [Math.round(abs / 86400), 'd'];
  return secs >= 0 ? `${unit[0]} ${unit[1]} ago` : `in ${unit[0]} ${unit[1]}`;
}

/** ISO 8601 in UTC, to the second: `2026-12-07 10:39:33 UTC` (the same on every page and in the CLI). */
export function dateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** A log line's time: 24-hour UTC clock with milliseconds, `10:39:33.123`. */
export function logTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().slice(11, 23);
}

/** A full timestamp with milliseconds: `2026-12-07T10:39:33.123Z`. */
export function isoMillis(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString();
}

/** A number and its unit are never split over two lines: they are joined by a no-break space. */
const NBSP = '\u00a0';

export function duration(ms: number | null | undefined): string {
  if (ms == null) return '—';
  if (ms < 1000) return `${Math.round(ms)}${NBSP}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}${NBSP}s`;
  const m = Math.floor(s / 60);
  return `${m}${NBSP}min ${Math.round(s % 60)}${NBSP}s`;
}

export function between(a: string | null | undefined, b: string | null | undefined): string {
  if (!a) return '—';
  return duration((b ? new Date(b).getTime() : Date.now()) - new Date(a).getTime());
}

export function bytes(n: number | null | undefined): string {
  if (n == null) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n < 10 && i ? n.toFixed(1) : Math.round(n)}${NBSP}${units[i]}`;
}

export function num(n: number | null | undefined): string {
  return n == null ? '—' : n.toLocaleString('en-US');
}
