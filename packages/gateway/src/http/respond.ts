import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { type Refusal, refusalBody } from '../refusal.js';

/**
 * Answers a request on its raw socket (an upgrade, or a connection refused before any HTTP
 * parsing) with a refusal's status and JSON body, then closes the socket.
 *
 * @example
 * writeRefusal(socket, refusal(400, 'invalid_upgrade', 'Expected a WebSocket upgrade request.'));
 */
export function writeRefusal(socket: Socket, r: Refusal): void {
  if (socket.destroyed) return;
  const body = refusalBody(r);
  let head = `HTTP/1.1 ${r.status} ${STATUS_CODES[r.status] ?? 'Error'}\r\n`;
  for (const [name, value] of Object.entries(r.headers ?? {})) head += `${name}: ${value}\r\n`;
  head += `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n`;
  // Once the answer is flushed the socket is destroyed rather than left half-closed: a client
  // that never closes its side would otherwise hold it open indefinitely.
  socket.end(head + body, () => socket.destroy());
}

/** Answers a plain HTTP request with a refusal's status and JSON body. */
export function sendRefusal(res: ServerResponse, r: Refusal): void {
  const body = refusalBody(r);
  res.writeHead(r.status, {
    ...r.headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}
