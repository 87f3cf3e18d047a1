/** The usage page's charts: uPlot for series over days, plain bars for totals by key or model. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { UsageRow } from './model.js';

/** The last `days` UTC days (seconds since the epoch, at midnight) and each one's value (0 without records). */
export function dailySeries(
  rows: readonly UsageRow[],
  days: number,
  value: (row: UsageRow) => number,
): [number[], number[]] {
  const today = Math.floor(Date.now() / 86_400_000);
  const byDay = new Map(rows.map((row) => [row.day, value(row)]));
  const times: number[] = [];
  const values: number[] = [];
  for (let day = today - days + 1; day <= today; day++) {
    times.push(day * 86_400);
    values.push(byDay.get(new Date(day * 86_400_000).toISOString().slice(0, 10)) ?? 0);
  }
  return [times, values];
}

const PALETTE = ['#dc2626', '#7c3aed', '#0891b2', '#65a30d'];

export function DailyChart({
  rows,
  days,
  value,
  lines,
  label,
}: {
  rows: readonly UsageRow[];
  days: number;
  value: (row: UsageRow) => number;
  lines: readonly { label: string; value: number }[];
  label: string;
}) {
  const target = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const [times, values] = dailySeries(rows, days, value);
    const chart = new uPlot(
      {
        width: Math.min(900, (target.current?.clientWidth ?? 900) || 900),
        height: 220,
        series: [
          {},
          {
            label,
            stroke: '#1d4ed8',
            fill: 'rgba(29, 78, 216, 0.35)',
            paths: uPlot.paths.bars!({ size: [0.7] }),
            points: { show: false },
          },
          ...lines.map((line, i) => ({
            label: line.label,
            stroke: PALETTE[i % PALETTE.length],
            dash: [6, 4],
            width: 2,
            points: { show: false },
          })),
        ],
        axes: [{}, { size: 70 }],
        scales: {
          // Half a day either side, so the first and last bars are whole.
          x: { time: true, range: (_u, min, max) => [min - 43_200, max + 43_200] },
          y: { range: (_u, _min, max) => [0, Math.max(max, ...lines.map((l) => l.value)) * 1.1 || 1] },
        },
      },
      [times, values, ...lines.map((line) => times.map(() => line.value))],
      target.current!,
    );
    return () => chart.destroy();
  }, [rows, days, value, lines, label]);
  return <div ref={target} class="chart" role="img" aria-label={`${label} per day`} />;
}

/** Horizontal bars, longest first, each with its limit (a budget) marked when it has one. */
export function BarList({
  rows,
  format,
}: {
  rows: readonly { label: string; value: number; limit: number | null; note: string }[];
  format: (n: number) => string;
}) {
  if (rows.length === 0) return <p class="muted">Nothing recorded yet.</p>;
  const scale = Math.max(...rows.map((row) => Math.max(row.value, row.limit ?? 0))) || 1;
  return (
    <ul class="bars">
      {[...rows]
        .sort((a, b) => b.value - a.value)
        .map((row) => (
          <li key={row.label}>
            <span class="bar-label">{row.label}</span>
            <span class="bar-track">
              <span class="bar" style={{ width: `${(row.value / scale) * 100}%` }} />
              {row.limit !== null && (
                <span
                  class="bar-limit"
                  style={{ left: `${(row.limit / scale) * 100}%` }}
                  title={`budget ${format(row.limit)}`}
                />
              )}
            </span>
            <span class="num">
              {format(row.value)}
              {row.limit !== null && ` of ${format(row.limit)}`}
              <span class="muted"> · {row.note}</span>
            </span>
          </li>
        ))}
    </ul>
  );
}
