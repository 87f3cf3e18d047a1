/**
 * Starting a listener and naming where it listens, for every listener the gateway opens (the
 * client port, the development TLS port, operator and internal listeners).
 */
import type { Server } from 'node:http';
import type { AddressInfo, ListenOptions } from 'node:net';

/**
 * Listens, resolving with the address once listening, rejecting on a listen error.
 *
 * @example
 * const info = await listenOn(server, { port: 0, host: '127.0.0.1' });
 * const url = urlOf(info, false); // http://127.0.0.1:41234
 */
export function listenOn(server: Server, options: ListenOptions): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** `http(s)://host:port` of a listening address, IPv6 in brackets. */
export function urlOf(info: AddressInfo, secure: boolean): string {
  const host = info.family === 'IPv6' ? `[${info.address}]` : info.address;
  return `${secure ? 'https' : 'http'}://${host}:${info.port}`;
}
