/**
 * Connection admission in front of the HTTP server: a socket over `limits.maxConnections` or
 * `limits.maxConnectionsPerAddress` is answered and closed as soon as it is accepted, before the
 * HTTP parser is attached, so none of its bytes are read or parsed. Admitted sockets are counted
 * until they close, whatever they go on to carry.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Refusal } from '../refusal.js';
import type { ConnectionAdmission } from './admission.js';
import { writeRefusal } from './respond.js';

export interface ConnectionGuardOptions {
  readonly admission: ConnectionAdmission;
  /**
   * A TLS server's refused sockets are closed without an answer: a client cannot read a
   * plaintext one, and completing a TLS handshake for a refused socket is the work the cap
   * exists to avoid.
   */
  readonly secure: boolean;
  /** Told about every refused socket, for metrics. */
  readonly onRefused?: (refusal: Refusal) => void;
}

/**
 * Puts admission in front of the server's own connection handling. Call it right after the
 * server is created: the server's `connection` listeners present then (Node's HTTP or TLS
 * handling) only see admitted sockets.
 *
 * @example
 * const admission = new ConnectionAdmission({ maxConnections: 20_000, maxConnectionsPerAddress: 1000 });
 * guardConnections(server, { admission, secure: false, onRefused: metrics.refused });
 */
export function guardConnections(server: Server, options: ConnectionGuardOptions): void {
  const handlers = server.listeners('connection') as ((this: Server, socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress;
    // Without an address the peer has already reset the connection.
    if (address === undefined) return void socket.destroy();
    const refused = options.admission.admit(address);
    if (refused !== null) {
      options.onRefused?.(refused);
      socket.on('error', () => socket.destroy());
      if (options.secure) socket.destroy();
      else writeRefusal(socket, refused);
      return;
    }
    socket.once('close', () => options.admission.release(address));
    for (const handler of handlers) handler.call(server, socket);
  });
}
