/** Upstreams, live: health, circuit state, sessions on each (per node), and connect latency. */

import { Fragment } from 'preact';
import { count } from './format.js';
import type { NodeUpstreamView, UpstreamRow } from './model.js';
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
      <table class="upstreams">
        <TableHead
          columns={[
            'Upstream',
            'Health',
            'Circuit',
            'Sessions',
            'Connects (failed)',
            'Connect latency, last',
            'Average',
            'Sessions by node',
          ]}
        />
        <tbody>
          {rows.map((row) => (
            <Fragment key={row.name}>
              <tr data-upstream={row.name}>
                <td>{row.name}</td>
                <NodeView view={row} />
                <td>
                  {Object.entries(row.sessionsByNode)
                    .map(([node, sessions]) => `${node}: ${sessions}`)
                    .join(', ') || '—'}
                </td>
              </tr>
              {row.nodes?.map((view) => (
                <tr key={`${row.name} ${view.node}`} data-node={view.node} class="node">
                  <td>on node {view.node}</td>
                  <NodeView view={view} />
                  <td />
                </tr>
              ))}
            </Fragment>
          ))}
        </tbody>
      </table>
      <p class="muted">
        The first row of each upstream is this node's view; with a shared store, each node's own view follows,
        and sessions by node cover the deployment.
      </p>
    </section>
  );
}

/** One node's view of an upstream: health, circuit, its sessions, connects and their latency. */
function NodeView({ view }: { view: NodeUpstreamView }) {
  return (
    <>
      <td>
        <span class={view.healthy ? 'ok' : 'bad'}>{view.healthy ? '● healthy' : '● unhealthy'}</span>
      </td>
      <td>{view.circuit}</td>
      <td class="num">{count(view.active)}</td>
      <td class="num">
        {count(view.attempts)} ({count(view.failures)})
      </td>
      <td class="num">{ms(view.lastLatencyMs)}</td>
      <td class="num">{ms(view.averageLatencyMs)}</td>
    </>
  );
}
