/** Live sessions: a table updated as the gateway streams changes, with a filter, sorting and termination. */
import { useState } from 'preact/hooks';
import { age, bytes, count, usd } from './format.js';
import type { SessionRow } from './model.js';
import { useSessions, useTick } from './table-feed.js';
import { Terminate } from './terminate-form.js';

type Column = readonly [label: string, key: (row: SessionRow) => string | number];

const COLUMNS: readonly Column[] = [
  ['Session', (r) => r.id],
  ['Model', (r) => r.model],
  ['Upstream', (r) => `${r.upstream} ${r.node ?? ''}`],
  ['Key', (r) => r.keyId ?? ''],
  ['Transport', (r) => transport(r)],
  ['Age', (r) => -Date.parse(r.startedAt)],
  ['Frames in/out', (r) => r.clientFrames + r.upstreamFrames],
  ['Bytes in/out', (r) => r.clientBytes + r.upstreamBytes],
  ['Tokens', (r) => r.tokens ?? -1],
  ['Cost', (r) => r.costUsd ?? -1],
];

function transport(row: SessionRow): string {
  return row.transport === 'webrtc' ? 'call' : (row.transport ?? '—');
}

function matches(row: SessionRow, filter: string): boolean {
  const wanted = filter.trim().toLowerCase();
  if (wanted === '') return true;
  return [row.id, row.model, row.upstream, row.keyId ?? '', transport(row), row.state, row.node ?? ''].some(
    (field) => field.toLowerCase().includes(wanted),
  );
}

export function SessionsPage({ onError }: { onError: (error: unknown) => void }) {
  const rows = useSessions(onError);
  const now = useTick(1000);
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useState<{ column: number; descending: boolean }>({ column: 5, descending: false });
  if (rows === null) return <p class="muted">Connecting…</p>;
  const key = COLUMNS[sort.column]![1];
  const shown = [...rows.values()]
    .filter((row) => matches(row, filter))
    .sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      const order = x < y ? -1 : x > y ? 1 : 0;
      return sort.descending ? -order : order;
    });
  return (
    <section>
      <div class="toolbar">
        <h1>
          Live sessions <span class="badge">{rows.size}</span>
        </h1>
        <label>
          Filter{' '}
          <input
            type="search"
            placeholder="id, model, upstream, key…"
            value={filter}
            onInput={(e) => setFilter(e.currentTarget.value)}
          />
        </label>
      </div>
      <table class="sessions">
        <thead>
          <tr>
            {COLUMNS.map(([label], i) => (
              <th
                key={label}
                aria-sort={sort.column === i ? (sort.descending ? 'descending' : 'ascending') : undefined}
              >
                <button
                  type="button"
                  class="sort"
                  onClick={() => setSort({ column: i, descending: sort.column === i && !sort.descending })}
                >
                  {label}
                  {sort.column === i ? (sort.descending ? ' ▼' : ' ▲') : ''}
                </button>
              </th>
            ))}
            <th>
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {shown.length === 0 && (
            <tr>
              <td colSpan={COLUMNS.length + 1} class="muted">
                {rows.size === 0 ? 'No live sessions.' : 'No session matches the filter.'}
              </td>
            </tr>
          )}
          {shown.map((row) => (
            <tr key={row.id} data-session={row.id}>
              <td>
                <a class="mono" href={`#/sessions/${encodeURIComponent(row.id)}`}>
                  {row.id}
                </a>
                {row.state !== 'open' && <span class="badge">{row.state}</span>}
              </td>
              <td>{row.model}</td>
              <td>
                {row.upstream}
                {row.node !== undefined && <span class="muted"> on node {row.node}</span>}
              </td>
              <td>{row.keyId ?? '—'}</td>
              <td>{transport(row)}</td>
              <td class="num">{age(now - Date.parse(row.startedAt))}</td>
              <td class="num">
                {count(row.clientFrames)} / {count(row.upstreamFrames)}
              </td>
              <td class="num">
                {bytes(row.clientBytes)} / {bytes(row.upstreamBytes)}
              </td>
              <td class="num">{count(row.tokens)}</td>
              <td class="num">{usd(row.costUsd)}</td>
              <td>
                <Terminate id={row.id} onError={onError} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
