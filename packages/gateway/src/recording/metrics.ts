/**
 * Prometheus metrics of session recordings. No labels: a recording is one session's, and
 * sessions are not a bounded label set.
 */
import { Counter, type Registry } from 'prom-client';
import type { RecordingObserver } from './observer.js';

/**
 * @example
 * const metrics = new RecordingMetrics(registry);
 * new Recordings(config.recording, { log, observer: metrics });
 */
export class RecordingMetrics implements RecordingObserver {
  private readonly startedTotal: Counter;
  private readonly finishedTotal: Counter<'outcome'>;
  private readonly bytes: Counter;
  private readonly droppedTotal: Counter;

  constructor(registry: Registry) {
    this.startedTotal = new Counter({
      name: 'realtime_gateway_recordings_started_total',
      help: 'Session recordings started.',
      registers: [registry],
    });
    this.finishedTotal = new Counter({
      name: 'realtime_gateway_recordings_finished_total',
      help: 'Session recordings finished (outcome ok), or ended by a write that failed (outcome failed).',
      labelNames: ['outcome'],
      registers: [registry],
    });
    this.bytes = new Counter({
      name: 'realtime_gateway_recording_bytes_written_total',
      help: 'Bytes written to recordings: event lines and audio.',
      registers: [registry],
    });
    this.droppedTotal = new Counter({
      name: 'realtime_gateway_recording_frames_dropped_total',
      help: 'Frames left out of a recording because its buffer was full (the relay never waits for a recording).',
      registers: [registry],
    });
  }

  started(): void {
    this.startedTotal.inc();
  }

  finished(ok: boolean): void {
    this.finishedTotal.inc({ outcome: ok ? 'ok' : 'failed' });
  }

  written(bytes: number): void {
    this.bytes.inc(bytes);
  }

  dropped(frames: number): void {
    this.droppedTotal.inc(frames);
  }
}
