/** Upstreams, live: health, circuit state, sessions on each (per node), and connect latency. */

import { count } from './format.js';
import type { UpstreamRow } from './model.js';
import { useTableFeed } from './table-feed.js';
import { TableHead } from './table-head.js';

const ms = (n: number | null) => (n === null ? '—' : `${Math.round(n)} ms`);

const upstreamName = (row: UpstreamRow) => row.name;

export function UpstreamsPage({ onError }: { onError: (error: unknown) => void }) {
  const table = useTableFeed<UpstreamRow>('upstream-feed', upstreamName, onError);
  const rows = table === null ? null : [...table.values()];
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
