/**
 * Metrics of the usage ledger: cost and transcription usage per key and model as they are
 * metered, usage whose model has no price, and the writer's health (records written, queued,
 * lost, failed writes). Labels are bounded as the gateway's others are: keys are configured key
 * ids (or `none`), models the configured and priced names (or `other`).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { UsageRecord } from '../ledger/ledger.js';
import type { LedgerWriterObserver, LossReason } from '../ledger/writer.js';

/**
 * @example
 * const ledgerMetrics = new LedgerMetrics(registry, (model) => metrics.modelLabel(model));
 * writer.onRecord(ledgerMetrics.metered);
 */
export class LedgerMetrics implements LedgerWriterObserver {
  private readonly cost: Counter<'model' | 'key'>;
  private readonly transcriptionTokens: Counter<'model' | 'kind' | 'key'>;
  private readonly transcriptionSeconds: Counter<'model' | 'key'>;
  private readonly unpriced: Counter<'model'>;
  private readonly writtenRecords: Counter;
  private readonly lostRecords: Counter<'reason'>;
  private readonly failedWrites: Counter;
  private readonly queuedRecords: Gauge;

  constructor(
    registry: Registry,
    private readonly modelLabel: (model: string) => string,
  ) {
    const registers = [registry];
    this.cost = new Counter({
      name: 'realtime_gateway_cost_usd_total',
      help: 'Cost in USD of metered usage (responses and transcriptions) at the price table, by model and key.',
      labelNames: ['model', 'key'],
      registers,
    });
    this.transcriptionTokens = new Counter({
      name: 'realtime_gateway_transcription_tokens_total',
      help: 'Tokens of input audio transcription usage, by transcription model, kind and key.',
      labelNames: ['model', 'kind', 'key'],
      registers,
    });
    this.transcriptionSeconds = new Counter({
      name: 'realtime_gateway_transcription_audio_seconds_total',
      help: 'Seconds of audio of duration-billed transcription usage, by transcription model and key.',
      labelNames: ['model', 'key'],
      registers,
    });
    this.unpriced = new Counter({
      name: 'realtime_gateway_unpriced_usage_total',
      help: 'Usage records whose model the price table does not know (costed at 0), by model.',
      labelNames: ['model'],
      registers,
    });
    this.writtenRecords = new Counter({
      name: 'realtime_gateway_ledger_records_written_total',
      help: 'Usage and session records written to the ledger.',
      registers,
    });
    this.lostRecords = new Counter({
      name: 'realtime_gateway_ledger_records_lost_total',
      help: 'Records never written to the ledger, by reason (queue_full, closed).',
      labelNames: ['reason'],
      registers,
    });
    this.failedWrites = new Counter({
      name: 'realtime_gateway_ledger_write_failures_total',
      help: 'Failed attempts to open or write the ledger (each is retried).',
      registers,
    });
    this.queuedRecords = new Gauge({
      name: 'realtime_gateway_ledger_queued_records',
      help: 'Records waiting to be written to the ledger.',
      registers,
    });
  }

  /** For `LedgerWriter.onRecord`. */
  readonly metered = (record: UsageRecord): void => {
    const model = this.modelLabel(record.model);
    const key = record.keyId ?? 'none';
    if (record.costUsd > 0) this.cost.inc({ model, key }, record.costUsd);
    if (!record.priced) this.unpriced.inc({ model });
    if (record.source !== 'transcription') return;
    const { tokens } = record;
    const add = (kind: string, value: number) => {
      if (value > 0) this.transcriptionTokens.inc({ model, kind, key }, value);
    };
    add('input_text', tokens.inputText);
    add('input_audio', tokens.inputAudio);
    add('output_text', tokens.outputText);
    if (tokens.audioSeconds > 0) this.transcriptionSeconds.inc({ model, key }, tokens.audioSeconds);
  };

  written(count: number): void {
    this.writtenRecords.inc(count);
  }

  lost(count: number, reason: LossReason): void {
    this.lostRecords.inc({ reason }, count);
  }

  writeFailed(): void {
    this.failedWrites.inc();
  }

  queued(count: number): void {
    this.queuedRecords.set(count);
  }
}
