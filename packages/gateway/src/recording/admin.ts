/**
 * The admin API's recordings, behind the admin key like the rest of it:
 *
 *   GET /admin/sessions/{id}/recording            the events, as JSON lines
 *   GET /admin/sessions/{id}/recording/audio.wav  the audio, a stereo WAV file
 *
 * 404 for a session without a finished recording (or without that file: an events-only
 * recording has no audio), 409 while the session is still being recorded.
 *
 * In a deployment of several nodes a recording is on the node that recorded it. A node that
 * does not have one asks the others (over the store's bus) which has it, and passes the request
 * to that node's internal listener, so any node answers for any recording whose node is up.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Forwarding, PeerAddress } from '../http/forwarding.js';
import { checkOperatorRead } from '../http/operator-key.js';
import { sendRefusal } from '../http/respond.js';
import type { RequestHandler } from '../http/server.js';
import { decodePath, isRefusal, parseTarget } from '../http/target.js';
import { refusal } from '../refusal.js';
import type { RecordingLookup, Recordings } from './recordings.js';

const PATH = /^\/admin\/sessions\/([^/]+)\/recording(\/audio\.wav)?$/;

/** The other nodes of a deployment, for a recording this node does not have. */
export interface RecordingPeers {
  /** Where the node that has `sessionId`'s recording listens; null when none says so, or `req` was itself passed on. */
  find(sessionId: string, req: IncomingMessage): Promise<PeerAddress | null>;
  /** Passes the request to that node, and its answer back. */
  forward(req: IncomingMessage, res: ServerResponse, peer: PeerAddress): Promise<void>;
}

/**
 * The deployment's other nodes, asked over the bus ({@link DeploymentAdmin.recordingHolder})
 * and reached on their internal listeners.
 *
 * @example
 * recordingAdminHandler(recordings, keyHash, recordingPeers(deploymentAdmin, forwarding));
 */
export function recordingPeers(
  admin: { recordingHolder(sessionId: string): Promise<string | null> },
  forwarding: Forwarding,
): RecordingPeers {
  return {
    async find(sessionId, req) {
      // A request passed on is answered where it arrives: never passed on again.
      if (forwarding.isForwarded(req)) return null;
      const holder = await admin.recordingHolder(sessionId);
      return holder === null ? null : forwarding.addressOf(holder).catch(() => null);
    },
    forward: (req, res, peer) => forwarding.forwardRequest(req, res, peer),
  };
}

/**
 * @example
 * const handler = recordingAdminHandler(recordings, config.admin.keyHash);
 */
export function recordingAdminHandler(
  recordings: Recordings | null,
  keyHash: string | null,
  peers: RecordingPeers | null = null,
): RequestHandler {
  return async (req, res) => {
    const target = parseTarget(req.url);
    if (isRefusal(target)) return false;
    const match = PATH.exec(target.path);
    if (match === null || keyHash === null) return false;
    const refused = checkOperatorRead(req, keyHash, 'The admin API', 'Use GET to read a recording.');
    if (refused !== null) {
      sendRefusal(res, refused);
      return true;
    }
    const id = decodePath(match[1]!);
    if (id === null) {
      sendRefusal(res, refusal(400, 'invalid_path', 'The session id contains a malformed percent-escape.'));
      return true;
    }
    const found = recordings === null ? null : await recordings.lookup(id);
    if (peers !== null && (found === null || found.status === 'none')) {
      const peer = await peers.find(id, req);
      if (peer !== null) {
        await peers.forward(req, res, peer);
        return true;
      }
    }
    await sendRecording(res, recordings, id, match[2] !== undefined ? 'audio' : 'events', found);
    return true;
  };
}

/**
 * Answers with a session's recorded events (JSON lines) or audio (a WAV file): 404 when there
 * is none, 409 while the session is still being recorded. The console serves the audio too.
 *
 * @example
 * await sendRecording(res, recordings, 'sess_1', 'audio');
 */
export async function sendRecording(
  res: ServerResponse,
  recordings: Recordings | null,
  id: string,
  what: 'events' | 'audio',
  /** What {@link Recordings.lookup} answered, when the caller already asked. */
  known?: RecordingLookup | null,
): Promise<void> {
  const found = known !== undefined ? known : recordings === null ? null : await recordings.lookup(id);
  if (found?.status === 'recording') {
    sendRefusal(res, refusal(409, 'recording_in_progress', `Session '${id}' is still being recorded.`));
    return;
  }
  const audio = what === 'audio';
  const file = found?.status === 'ready' ? (audio ? found.files.audio : found.files.events) : null;
  const size =
    file === null
      ? null
      : await stat(file).then(
          (s) => s.size,
          () => null,
        );
  if (file === null || size === null) {
    sendRefusal(
      res,
      refusal(404, 'recording_not_found', `No ${audio ? 'audio' : 'events'} recorded for session '${id}'.`),
    );
    return;
  }
  res.writeHead(200, {
    'content-type': audio ? 'audio/wav' : 'application/x-ndjson',
    'content-length': size,
  });
  createReadStream(file).pipe(res);
}
