/**
 * The admin API's recordings, behind the admin key like the rest of it:
 *
 *   GET /admin/sessions/{id}/recording            the events, as JSON lines
 *   GET /admin/sessions/{id}/recording/audio.wav  the audio, a stereo WAV file
 *
 * 404 for a session without a finished recording (or without that file: an events-only
 * recording has no audio), 409 while the session is still being recorded.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { checkOperatorRead } from '../http/operator-key.js';
import { sendRefusal } from '../http/respond.js';
import type { RequestHandler } from '../http/server.js';
import { decodePath, isRefusal, parseTarget } from '../http/target.js';
import { refusal } from '../refusal.js';
import type { Recordings } from './recordings.js';

const PATH = /^\/admin\/sessions\/([^/]+)\/recording(\/audio\.wav)?$/;

/**
 * @example
 * const handler = recordingAdminHandler(recordings, config.admin.keyHash);
 */
export function recordingAdminHandler(recordings: Recordings | null, keyHash: string | null): RequestHandler {
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
    await sendRecording(res, recordings, id, match[2] !== undefined ? 'audio' : 'events');
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
): Promise<void> {
  const found = recordings === null ? null : await recordings.lookup(id);
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
