/**
 * Recording as session middleware. It comes last in the session's list, so in each direction
 * it sees what is actually relayed: what the upstream got after input checks and guardrails
 * (a blocked user text never reaches it), and what the client got (a guardrail's cut text and
 * held-back audio never reach it; its `error` and `response.done` do). Its handlers only hand
 * the frame to the session's {@link Recorder} and let it pass. On a WebRTC call the model's
 * audio is recorded as the call's leg played it (what an interruption or a cut dropped is not
 * heard, so not recorded), and the leg's own `output_audio_buffer.*` events join the events.
 */
import type { ClientEvent, ServerEvent } from '@realtime-gateway/protocol';
import {
  FORWARD,
  type Frame,
  type LegReport,
  type Middleware,
  type MiddlewareFactory,
  type Wants,
} from '../session/middleware.js';
import { appliesToSession } from '../vocabulary/models.js';
import type { SessionInfo } from '../vocabulary/session.js';
import { AUDIO_TYPES, type Recorder } from './recorder.js';
import type { Recordings } from './recordings.js';

/**
 * The recording middleware: null for a session the configuration does not record (and for
 * translation sessions, whose events are not a conversation's).
 *
 * @example
 * const recording = recordingMiddleware(recordings);
 * middleware.push(recording); // last
 */
export function recordingMiddleware(recordings: Recordings): MiddlewareFactory {
  const { include } = recordings.config;
  // Audio only: the audio events and the session's formats, nothing else is parsed.
  const wants: Wants = include === 'audio' ? AUDIO_TYPES : 'all';
  return (info) => {
    if (info.intent === 'translation' || !appliesToSession(recordings.config, info)) return null;
    return new Recording(recordings, info, wants);
  };
}

class Recording implements Middleware {
  readonly name = 'recording';
  /** Made when the session opens, so a session that never does leaves no recording behind. */
  private recorder: Recorder | null = null;

  constructor(
    private readonly recordings: Recordings,
    private readonly info: SessionInfo,
    readonly client: Wants,
    readonly upstream: Wants = client,
  ) {}

  open(): void {
    this.recorder = this.recordings.begin(this.info);
  }

  onClient(frame: Frame<ClientEvent>): typeof FORWARD {
    this.recorder?.capture('client', frame.data, frame.data === null ? frame.event : null);
    return FORWARD;
  }

  onUpstream(frame: Frame<ServerEvent>): typeof FORWARD {
    this.recorder?.capture('upstream', frame.data, frame.data === null ? frame.event : null);
    return FORWARD;
  }

  /** A call's: the model's audio as played, and the playout events the caller was sent. */
  onClientLeg(report: LegReport): void {
    if (report.type === 'played') this.recorder?.capturePlayed(report.pcm, report.continued);
    else this.recorder?.capture('upstream', Buffer.from(report.text), null);
  }

  close(): Readonly<Record<string, unknown>> | undefined {
    const recorder = this.recorder;
    if (recorder === null) return undefined;
    void this.recordings.end(this.info.sessionId, recorder);
    return recorder.dropped > 0 ? { recordingDropped: recorder.dropped } : undefined;
  }
}
