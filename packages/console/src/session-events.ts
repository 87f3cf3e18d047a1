/** One session's timeline and conversation, kept up to date from its `events` stream. */
import { useEffect, useState } from 'preact/hooks';
import { listen } from './api.js';
import type { ConsoleEvent } from './model.js';
import { type TranscriptLine, transcriptLine } from './transcript.js';

/** Entries a page keeps; older ones leave the page as new ones come. */
const KEPT = 1000;

export interface SessionEvents {
  readonly timeline: readonly ConsoleEvent[];
  readonly transcript: readonly TranscriptLine[];
  /** Events the gateway dropped because the page did not read them fast enough. */
  readonly dropped: number;
  /** `live`, `ended`, or `unavailable` (not on this node, or gone). */
  readonly status: 'connecting' | 'live' | 'ended' | 'unavailable';
}

/** Replaces the entry of the same `seq` (an audio entry that grew) or appends. */
function upsert<T extends { readonly seq: number }>(list: readonly T[], entry: T): T[] {
  // Entries are in `seq` order: look back only as far as `seq` allows.
  for (let i = list.length - 1; i >= 0 && list[i]!.seq >= entry.seq; i--)
    if (list[i]!.seq === entry.seq) return list.map((old, j) => (j === i ? entry : old));
  const next = [...list, entry];
  return next.length > KEPT ? next.slice(-KEPT) : next;
}

const lines = (events: readonly ConsoleEvent[]) =>
  events.map(transcriptLine).filter((line): line is TranscriptLine => line !== null);

/**
 * How often a page asks again for the events of a session another process answered for: with
 * `--workers` each request may reach another worker, and one of them holds the session.
 */
const TRIES = 8;
const RETRY_MS = 250;

export function useSessionEvents(id: string): SessionEvents {
  const [state, setState] = useState<SessionEvents>({
    timeline: [],
    transcript: [],
    dropped: 0,
    status: 'connecting',
  });
  useEffect(() => {
    let close = () => {};
    let timer: ReturnType<typeof setTimeout> | undefined;
    let live = false;
    const open = (tries: number) => {
      close = listen(
        `sessions/${encodeURIComponent(id)}/events`,
        {
          history: ({
            timeline,
            conversation,
          }: {
            timeline: ConsoleEvent[];
            conversation: ConsoleEvent[];
          }) => {
            live = true;
            setState({ timeline, transcript: lines(conversation), dropped: 0, status: 'live' });
          },
          event: (event: ConsoleEvent) =>
            setState((s) => {
              const line = transcriptLine(event);
              return {
                ...s,
                timeline: upsert(s.timeline, event),
                transcript: line === null ? s.transcript : upsert(s.transcript, line),
              };
            }),
          dropped: ({ total }: { total: number }) => setState((s) => ({ ...s, dropped: total })),
          ended: () => {
            // Closed here, or the browser would ask again for a session that is gone.
            close();
            setState((s) => ({ ...s, status: 'ended' }));
          },
        },
        () => {
          if (live) setState((s) => ({ ...s, status: 'ended' }));
          else if (tries > 1) timer = setTimeout(() => open(tries - 1), RETRY_MS);
          else setState((s) => ({ ...s, status: 'unavailable' }));
        },
      );
    };
    open(TRIES);
    return () => {
      clearTimeout(timer);
      close();
    };
  }, [id]);
  return state;
}
