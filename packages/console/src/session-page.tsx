/**
 * One session: its counters (from the live feed), the conversation as a transcript, the event
 * timeline as it streams, its upstream connections, and once it has ended, its recorded audio.
 */

import { useEffect, useRef, useState } from 'preact/hooks';
import { age, bytes, clock, count, usd } from './format.js';
import type { ConsoleEvent, SessionRow } from './model.js';
import { Recording } from './recording.js';
import { useSessionEvents } from './session-events.js';
import { useSessions, useTick } from './table-feed.js';
import { TableHead } from './table-head.js';
import { Terminate } from './terminate-form.js';

/** Audio event types: their payload is never kept. */
const AUDIO = /^input_audio_buffer\.append$|audio\.delta$/;

function EventRow({ event }: { event: ConsoleEvent }) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <tr data-type={event.type ?? ''}>
        <td class="mono">{clock(event.at)}</td>
        <td>{event.side}</td>
        <td class="mono">{event.type ?? '(no type)'}</td>
        <td class="num">
          {event.frames > 1 ? `${event.frames}× ${bytes(event.bytes)}` : bytes(event.bytes)}
        </td>
        <td>
          {event.payload === null ? (
            <span class="muted" title="Audio is never shown; frames of unknown types are only counted">
              {event.type !== null && AUDIO.test(event.type) ? 'audio' : '—'}
            </span>
          ) : (
            <button type="button" class="link" aria-expanded={open} onClick={() => setOpen(!open)}>
              {open ? 'hide' : 'payload'}
            </button>
          )}
        </td>
      </tr>
      {open && (
        <tr class="payload">
          <td colSpan={5}>
            <pre>{event.payload}</pre>
          </td>
        </tr>
      )}
    </>
  );
}

/** Why a live session's events cannot be shown here. */
function whyNoEvents(row: SessionRow | null): string {
  if (row?.intent === 'translation') return "a translation session's events are not shown";
  if (row?.node !== undefined) return `its events are shown by node ${row.node}'s console`;
  return 'its events could not be reached';
}

export function SessionPage({ id, onError }: { id: string; onError: (error: unknown) => void }) {
  const rows = useSessions(onError);
  const events = useSessionEvents(id);
  const now = useTick(1000);
  const timelineEnd = useRef<HTMLDivElement>(null);
  useEffect(() => timelineEnd.current?.scrollIntoView({ block: 'nearest' }), [events.timeline.length]);
  const row = rows?.get(id) ?? null;
  const ended = events.status === 'ended' || (rows !== null && row === null);
  return (
    <section>
      <p>
        <a href="#/sessions">← Live sessions</a>
      </p>
      <h1 class="mono">{id}</h1>
      <p class="status" role="status">
        {ended ? 'Ended' : events.status === 'unavailable' ? `Live; ${whyNoEvents(row)}` : 'Live'}
        {events.dropped > 0 && ` — ${events.dropped} events dropped (the page fell behind)`}
      </p>
      {row && (
        <>
          <dl class="facts">
            <dt>Model</dt>
            <dd>{row.model === row.upstreamModel ? row.model : `${row.model} → ${row.upstreamModel}`}</dd>
            <dt>Upstream</dt>
            <dd>{row.upstream}</dd>
            <dt>Key</dt>
            <dd>{row.keyId ?? '—'}</dd>
            <dt>Transport</dt>
            <dd>{row.transport === 'webrtc' ? 'call (WebRTC)' : (row.transport ?? '—')}</dd>
            <dt>Age</dt>
            <dd>{age(now - Date.parse(row.startedAt))}</dd>
            <dt>Client → upstream</dt>
            <dd>
              {count(row.clientFrames)} frames, {bytes(row.clientBytes)}
            </dd>
            <dt>Upstream → client</dt>
            <dd>
              {count(row.upstreamFrames)} frames, {bytes(row.upstreamBytes)}
            </dd>
            <dt>Tokens</dt>
            <dd>{count(row.tokens)}</dd>
            <dt>Cost</dt>
            <dd>{usd(row.costUsd)}</dd>
          </dl>
          <Terminate id={id} onError={onError} />
        </>
      )}
      <div class="columns">
        <section aria-labelledby="transcript">
          <h2 id="transcript">Conversation</h2>
          <ol class="transcript">
            {events.transcript.length === 0 && <li class="muted">Nothing said yet.</li>}
            {events.transcript.map((line) => (
              <li key={line.seq} class={`speaker-${line.speaker.replace(' ', '-')}`}>
                <span class="who">{line.speaker}</span> <span class="mono muted">{clock(line.at)}</span>
                <div>{line.text}</div>
              </li>
            ))}
          </ol>
          {row && row.upstreams.length > 0 && (
            <>
              <h2>Upstream connections</h2>
              <table>
                <TableHead columns={['Upstream', 'Connected', 'Ended']} />
                <tbody>
                  {row.upstreams.map((connection) => (
                    <tr key={connection.connectedAt}>
                      <td>{connection.upstream}</td>
                      <td class="mono">{clock(connection.connectedAt)}</td>
                      <td>{connection.ended ?? 'serving'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
          {ended && <Recording id={id} />}
        </section>
        <section aria-labelledby="timeline">
          <h2 id="timeline">Events</h2>
          <div class="timeline">
            <table>
              <TableHead columns={['Time', 'From', 'Type', 'Size', 'Payload (log-safe)']} />
              <tbody>
                {events.timeline.map((event) => (
                  <EventRow key={event.seq} event={event} />
                ))}
              </tbody>
            </table>
            <div ref={timelineEnd} />
          </div>
        </section>
      </div>
    </section>
  );
}
