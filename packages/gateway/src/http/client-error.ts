/**
 * Answers for requests Node's HTTP parser rejects before any handler sees them (headers not in
 * within `limits.headersTimeoutMs`, a request not complete within `limits.requestTimeoutMs`,
 * oversized headers, malformed HTTP): an OpenAI-shaped JSON body like every other refusal,
 * counted like one, and never the parser's own error text.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { type Refusal, refusal } from '../refusal.js';
import { writeRefusal } from './respond.js';

/** The refusal for a parser or timeout error code. */
export function clientErrorRefusal(code: string | undefined): Refusal {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return refusal(408, 'request_timeout', 'The request was not received in time.');
    case 'HPE_HEADER_OVERFLOW':
      return refusal(431, 'request_header_fields_too_large', 'The request headers are too large.');
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return refusal(413, 'request_too_large', 'The request chunk extensions are too large.');
    default:
      return refusal(400, 'bad_request', 'The request is not valid HTTP.');
  }
}

/**
 * @example
 * answerClientErrors(server, metrics.refused);
 */
export function answerClientErrors(server: Server, onRefused?: (refusal: Refusal) => void): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // A reset peer cannot be answered; nor can a socket that already carries part of a response.
    if (error.code === 'ECONNRESET' || !socket.writable || socket.bytesWritten > 0) {
      socket.destroy();
      return;
    }
    const r = clientErrorRefusal(error.code);
    onRefused?.(r);
    writeRefusal(socket, r);
  });
}
