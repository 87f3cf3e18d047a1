/** Upstreams: health, circuit state, this node's sessions on each, and connect latency. */

import { useEffect, useState } from 'preact/hooks';
import { getJson } from './api.js';
import { count } from './format.js';
import type { UpstreamRow } from './model.js';
import { TableHead } from './table-head.js';

const REFRESH_MS = 2000;

const ms = (n: number | null) => (n === null ? '—' : `${Math.round(n)} ms`);

export function UpstreamsPage({ onError }: { onError: (error: unknown) => void }) {
  const [rows, setRows] = useState<readonly UpstreamRow[] | null>(null);
  useEffect(() => {
    const load = () =>
      getJson<{ data: UpstreamRow[] }>('upstreams').then(({ data }) => setRows(data), onError);
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  }, [onError]);
  if (rows === null) return <p class="muted">Loading…</p>;
  return (
    <section>
      <h1>Upstreams</h1>
      <table>
        <TableHead
          columns={[
            'Upstream',
            'Health',
            'Circuit',
            'Sessions',
            'Sessions by node',
            'Connects (failed)',
            'Connect latency, last',
            'Average',
          ]}
        />
        <tbody>
          {rows.map((row) => (
            <tr key={row.name}>
              <td>{row.name}</td>
              <td>
                <span class={row.healthy ? 'ok' : 'bad'}>{row.healthy ? '● healthy' : '● unhealthy'}</span>
              </td>
              <td>{row.circuit}</td>
              <td class="num">{count(row.active)}</td>
              <td>
                {Object.entries(row.sessionsByNode)
                  .map(([node, sessions]) => `${node}: ${sessions}`)
                  .join(', ') || '—'}
              </td>
              <td class="num">
                {count(row.attempts)} ({count(row.failures)})
              </td>
              <td class="num">{ms(row.lastLatencyMs)}</td>
              <td class="num">{ms(row.averageLatencyMs)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="muted">
        Health, circuit, sessions, connects and latency are this node's; sessions by node cover the
        deployment.
      </p>
    </section>
  );
}
