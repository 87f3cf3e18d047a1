/**
 * The recordings of a gateway: the folder they are written to (one folder per session, named
 * by its id), the sessions being recorded now, and retention (a sweep at start and every
 * `sweepIntervalMinutes` deletes folders older than `retentionDays`, never one being written).
 * {@link Recordings.close} finishes every recording still open, for a gateway's shutdown.
 */
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClientEvent } from '@realtime-gateway/protocol';
import type { GuardrailDecision, GuardrailObserver } from '../guardrails/decisions.js';
import { describeError, NO_LOG, type SessionInfo, type SessionLog } from '../vocabulary/session.js';
import type { RecordingConfig } from './config.js';
import { NO_RECORDING_OBSERVER, type RecordingObserver } from './observer.js';
import { AUDIO_FILE, EVENTS_FILE, Recorder } from './recorder.js';

const DAY_MS = 86_400_000;

/** Session ids the gateway makes; anything else is not a folder name it will use or serve. */
const SAFE_ID = /^[A-Za-z0-9_-]{1,128}$/;

/** What a recorded session's files are, for the admin API. */
export type RecordingLookup =
  | { readonly status: 'ready'; readonly files: { readonly events: string; readonly audio: string } }
  | { readonly status: 'recording' }
  | { readonly status: 'none' };

export interface RecordingsOptions {
  readonly log?: SessionLog;
  readonly observer?: RecordingObserver;
  /** Wall-clock milliseconds, for retention (default `Date.now`). */
  readonly now?: () => number;
}

/**
 * @example
 * const recordings = new Recordings(config.recording, { log, observer: metrics.recordings });
 * recordings.startSweeping();
 * const recorder = recordings.begin(info); // from the recording middleware
 * await recordings.close();                // at shutdown: every recording finished
 */
export class Recordings implements GuardrailObserver {
  private readonly log: SessionLog;
  private readonly observer: RecordingObserver;
  private readonly now: () => number;
  private readonly active = new Map<string, Recorder>();
  private readonly finishing = new Set<Promise<void>>();
  private sweeper: NodeJS.Timeout | null = null;

  constructor(
    readonly config: RecordingConfig,
    options: RecordingsOptions = {},
  ) {
    this.log = options.log ?? NO_LOG;
    this.observer = options.observer ?? NO_RECORDING_OBSERVER;
    this.now = options.now ?? Date.now;
  }

  /** A guardrail's decision in a recorded session joins its events, the text it stopped marked. */
  decided(decision: GuardrailDecision, info: SessionInfo, blocked?: ClientEvent): void {
    this.active.get(info.sessionId)?.captureDecision(decision, blocked);
  }

  /** Sweeps now, then every `sweepIntervalMinutes`. */
  startSweeping(): void {
    if (this.sweeper !== null) return;
    void this.sweep();
    this.sweeper = setInterval(() => void this.sweep(), this.config.sweepIntervalMinutes * 60_000);
    this.sweeper.unref();
  }

  /**
   * Deletes the recordings older than `retentionDays` (by their folder's last change), except
   * those being written; resolves with the ids deleted. Never rejects: a failure is logged.
   */
  async sweep(): Promise<string[]> {
    const deleted: string[] = [];
    const cutoff = this.now() - this.config.retentionDays * DAY_MS;
    let entries: string[];
    try {
      entries = await readdir(this.config.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        this.log.warn({ err: describeError(error) }, 'recordings could not be listed for retention');
      return deleted;
    }
    for (const id of entries) {
      if (!SAFE_ID.test(id) || this.active.has(id)) continue;
      const folder = join(this.config.dir, id);
      try {
        if ((await stat(folder)).mtimeMs >= cutoff) continue;
        await rm(folder, { recursive: true, force: true });
        deleted.push(id);
      } catch (error) {
        this.log.warn({ sessionId: id, err: describeError(error) }, 'an old recording could not be deleted');
      }
    }
    if (deleted.length > 0) this.log.info({ count: deleted.length }, 'old recordings deleted');
    return deleted;
  }

  /** A started recorder for a session, or null when its id cannot name a folder. */
  begin(info: SessionInfo): Recorder | null {
    if (!SAFE_ID.test(info.sessionId) || this.active.has(info.sessionId)) return null;
    const { include, sampleRate, maxBufferedBytes } = this.config;
    const recorder = new Recorder({
      sessionId: info.sessionId,
      dir: join(this.config.dir, info.sessionId),
      include,
      sampleRate,
      maxBufferedBytes,
      about: {
        recording: {
          sessionId: info.sessionId,
          model: info.model,
          upstreamModel: info.upstreamModel,
          upstream: info.upstreamName,
          keyId: info.keyId,
          startedAt: new Date(this.now()).toISOString(),
          include,
          sampleRate,
        },
      },
      observer: this.observer,
      log: this.log,
      playedAudio: info.transport === 'webrtc',
    });
    this.active.set(info.sessionId, recorder);
    recorder.start();
    return recorder;
  }

  /** Finishes a session's recording; it stops counting as active once its files are complete. */
  end(sessionId: string, recorder: Recorder): Promise<void> {
    const done = recorder.finish().finally(() => {
      if (this.active.get(sessionId) === recorder) this.active.delete(sessionId);
      this.finishing.delete(done);
    });
    this.finishing.add(done);
    return done;
  }

  /** Where a session's recording is, if it has a finished one. */
  async lookup(sessionId: string): Promise<RecordingLookup> {
    if (!SAFE_ID.test(sessionId)) return { status: 'none' };
    if (this.active.has(sessionId)) return { status: 'recording' };
    const folder = join(this.config.dir, sessionId);
    try {
      if (!(await stat(folder)).isDirectory()) return { status: 'none' };
    } catch {
      return { status: 'none' };
    }
    return { status: 'ready', files: { events: join(folder, EVENTS_FILE), audio: join(folder, AUDIO_FILE) } };
  }

  /** Stops sweeping and finishes every recording still open. */
  async close(): Promise<void> {
    if (this.sweeper !== null) clearInterval(this.sweeper);
    this.sweeper = null;
    for (const [id, recorder] of this.active) void this.end(id, recorder);
    await Promise.all([...this.finishing]);
  }
}
