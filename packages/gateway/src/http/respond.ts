import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { type Refusal, refusalBody } from '../refusal.js';

/** Answers an upgrade request on its raw socket with a refusal's status and JSON body. */
export function writeRefusal(socket: Socket, r: Refusal): void {
  if (socket.destroyed) return;
  const body = refusalBody(r);
  socket.end(
    `HTTP/1.1 ${r.status} ${STATUS_CODES[r.status] ?? 'Error'}\r\n` +
      'content-type: application/json\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      'connection: close\r\n\r\n' +
      body,
  );
}

/** Answers a plain HTTP request with a refusal's status and JSON body. */
export function sendRefusal(res: ServerResponse, r: Refusal): void {
  const body = refusalBody(r);
  res.writeHead(r.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
