/** The live session table, kept up to date from the gateway's `session-feed` stream. */
import { useEffect, useState } from 'preact/hooks';
import { getJson, listen } from './api.js';
import type { SessionRow } from './model.js';

/** The live sessions by id (null until the first snapshot); `onError` hears a lost sign-in. */
export function useSessionFeed(onError: (error: unknown) => void): ReadonlyMap<string, SessionRow> | null {
  const [rows, setRows] = useState<ReadonlyMap<string, SessionRow> | null>(null);
  useEffect(
    () =>
      listen(
        'session-feed',
        {
          snapshot: ({ sessions }: { sessions: SessionRow[] }) =>
            setRows(new Map(sessions.map((row) => [row.id, row]))),
          changes: ({ changed, removed }: { changed: SessionRow[]; removed: string[] }) =>
            setRows((previous) => {
              const next = new Map(previous);
              for (const row of changed) next.set(row.id, row);
              for (const id of removed) next.delete(id);
              return next;
            }),
        },
        // A stream refused with 401 closes: ask why, so a lost sign-in shows the sign-in page.
        () => void getJson('me').catch(onError),
      ),
    [onError],
  );
  return rows;
}

/** Re-renders every `ms` milliseconds, for ages. */
export function useTick(ms: number): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
