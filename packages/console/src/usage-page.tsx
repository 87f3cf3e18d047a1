/**
 * Usage from the ledger: spend and tokens per day over the last 30 days (with daily budgets
 * drawn as lines), and this month's spend by key (against monthly budgets) and by model.
 */
import { useEffect, useState } from 'preact/hooks';
import { getJson } from './api.js';
import { BarList, DailyChart } from './charts.js';
import { count, usd } from './format.js';
import type { KeyBudget, UsageRow } from './model.js';

interface Usage {
  readonly days: readonly UsageRow[];
  readonly keys: readonly UsageRow[];
  readonly models: readonly UsageRow[];
  readonly budgets: readonly KeyBudget[];
}

const DAYS = 30;

function isoDay(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

async function loadUsage(): Promise<Usage> {
  const from = isoDay(Date.now() - (DAYS - 1) * 86_400_000);
  const month = `${isoDay(Date.now()).slice(0, 7)}-01`;
  const [days, keys, models, budgets] = await Promise.all([
    getJson<{ data: UsageRow[] }>(`usage?group_by=day&from=${from}`),
    getJson<{ data: UsageRow[] }>(`usage?group_by=key&from=${month}`),
    getJson<{ data: UsageRow[] }>(`usage?group_by=model&from=${month}`),
    getJson<{ data: KeyBudget[] }>('budgets'),
  ]);
  return { days: days.data, keys: keys.data, models: models.data, budgets: budgets.data };
}

/** A month's spend per key or model, with the tokens beside it and each budget marked. */
function SpendBars({
  title,
  rows,
  label,
  limit,
}: {
  title: string;
  rows: readonly UsageRow[];
  label: (row: UsageRow) => string;
  limit: (row: UsageRow) => number | null;
}) {
  return (
    <section>
      <h2>{title}</h2>
      <BarList
        rows={rows.map((row) => ({
          label: label(row),
          value: row.cost_usd,
          limit: limit(row),
          note: `${count(row.total_tokens)} tokens`,
        }))}
        format={usd}
      />
    </section>
  );
}

export function UsagePage({ onError }: { onError: (error: unknown) => void }) {
  const [usage, setUsage] = useState<Usage | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    loadUsage().then(setUsage, (failure: unknown) => {
      onError(failure);
      setError((failure as Error).message);
    });
  }, [onError]);
  if (error !== null)
    return (
      <p role="alert" class="error">
        {error}
      </p>
    );
  if (usage === null) return <p class="muted">Loading…</p>;
  const dailyBudgets = usage.budgets.filter((b) => b.budget.period === 'day' && b.budget.usd !== null);
  const monthly = new Map(
    usage.budgets.filter((b) => b.budget.period === 'month').map((b) => [b.key, b.budget.usd] as const),
  );
  const total = usage.days.reduce((sum, row) => sum + row.cost_usd, 0);
  const tokens = usage.days.reduce((sum, row) => sum + row.total_tokens, 0);
  return (
    <section>
      <h1>Usage</h1>
      <p>
        Last {DAYS} days: <strong>{usd(total)}</strong>, {count(tokens)} tokens.
      </p>
      <h2>Spend per day (USD)</h2>
      <DailyChart
        days={DAYS}
        rows={usage.days}
        value={(row) => row.cost_usd}
        lines={dailyBudgets.map((b) => ({ label: `budget of ${b.key}`, value: b.budget.usd! }))}
        label="USD"
      />
      <h2>Tokens per day</h2>
      <DailyChart days={DAYS} rows={usage.days} value={(row) => row.total_tokens} lines={[]} label="tokens" />
      <div class="columns">
        <SpendBars
          title="This month by key"
          rows={usage.keys}
          label={(row) => row.key ?? '(no key)'}
          limit={(row) => monthly.get(row.key ?? '') ?? null}
        />
        <SpendBars
          title="This month by model"
          rows={usage.models}
          label={(row) => row.model ?? '?'}
          limit={() => null}
        />
      </div>
    </section>
  );
}
