/** A live table kept up to date from one of the gateway's feeds (`session-feed`, `upstream-feed`). */
import { useEffect, useState } from 'preact/hooks';
import { getJson, listen } from './api.js';
import type { SessionRow } from './model.js';

/**
 * The rows of the feed at `api/<path>` by `id` (null until its first snapshot); `onError` hears
 * of a lost sign-in.
 */
export function useTableFeed<Row>(
  path: string,
  id: (row: Row) => string,
  onError: (error: unknown) => void,
): ReadonlyMap<string, Row> | null {
  const [rows, setRows] = useState<ReadonlyMap<string, Row> | null>(null);
  useEffect(
    () =>
      listen(
        path,
        {
          snapshot: ({ rows }: { rows: Row[] }) => setRows(new Map(rows.map((row) => [id(row), row]))),
          changes: ({ changed, removed }: { changed: Row[]; removed: string[] }) =>
            setRows((previous) => {
              const next = new Map(previous);
              for (const row of changed) next.set(id(row), row);
              for (const key of removed) next.delete(key);
              return next;
            }),
        },
        // A stream refused with 401 closes: ask why, so a lost sign-in shows the sign-in page.
        () => void getJson('me').catch(onError),
      ),
    [path, id, onError],
  );
  return rows;
}

const sessionId = (row: SessionRow) => row.id;

/** The live sessions by id. */
export function useSessions(onError: (error: unknown) => void): ReadonlyMap<string, SessionRow> | null {
  return useTableFeed('session-feed', sessionId, onError);
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
