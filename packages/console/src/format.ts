/** Numbers as a glance reads them. */

/** `1.2 KB`, `3.4 MB`. */
export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** `42 s`, `3 min 5 s`, `2 h 4 min`. */
export function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** `$0.0123`; `—` when unknown. */
export function usd(n: number | null): string {
  return n === null ? '—' : `$${n < 1 ? n.toFixed(4) : n.toFixed(2)}`;
}

/** `12,345`; `—` when unknown. */
export function count(n: number | null): string {
  return n === null ? '—' : n.toLocaleString('en-US');
}

/** `10:04:05.123` in the viewer's time zone. */
export function clock(iso: string): string {
  const d = new Date(iso);
  return `${d.toLocaleTimeString('en-GB', { hour12: false })}.${String(d.getMilliseconds()).padStart(3, '0')}`;
}
