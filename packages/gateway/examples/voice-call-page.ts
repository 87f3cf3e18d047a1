/**
 * Serves the voice-call page (`examples/voice-call/`) on its own origin, as an application's
 * web server would: `npm run example:call` at the repository root, then open the address it
 * prints while `npm start` runs. The end-to-end browser test serves the same page this way.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

/** The page's files, read once: nothing else is served, so no request path reaches the disk. */
const FILES: Readonly<Record<string, { readonly type: string; readonly body: Buffer }>> = Object.fromEntries(
  [
    ['/', 'index.html', 'text/html; charset=utf-8'],
    ['/call.js', 'call.js', 'text/javascript; charset=utf-8'],
  ].map(([path, file, type]) => [
    path,
    { type: type!, body: readFileSync(fileURLToPath(new URL(`./voice-call/${file}`, import.meta.url))) },
  ]),
);

/** A listening page server and its address. */
export interface PageServer {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * @example
 * const page = await serveVoiceCallPage(0);
 * console.log(`${page.url}/?gateway=http://127.0.0.1:8080`);
 */
export function serveVoiceCallPage(port: number, host = '127.0.0.1'): Promise<PageServer> {
  const server: Server = createServer((req, res) => {
    const file = FILES[(req.url ?? '/').split('?')[0]!];
    if (file === undefined || req.method !== 'GET') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' });
    res.end(file.body);
  });
  return new Promise((resolve) => {
    server.listen(port, host, () => {
      const { port: bound } = server.address() as AddressInfo;
      resolve({
        url: `http://${host}:${bound}`,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.PAGE_PORT ?? 8090);
  const gateway = process.env.GATEWAY_URL ?? 'http://127.0.0.1:8080';
  const page = await serveVoiceCallPage(port);
  process.stdout.write(`voice-call page: ${page.url}/?gateway=${encodeURIComponent(gateway)}\n`);
}
