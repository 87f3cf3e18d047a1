/**
 * The console's pages: the files `npm run build` made in the console package, read from disk
 * on request. Hashed assets (`/console/assets/…`, whose names change with their content) are
 * cached for a year; `index.html` is revalidated every time, so a new build is seen at once.
 * A gateway whose console was not built answers 503 saying how to build it.
 */
import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { CONSOLE_PATH } from './cookie.js';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

/** Names an asset may have: no separators, no leading dot, so no path leaves the directory. */
const ASSET_NAME = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,200}$/;

/** What the pages may do: their own scripts and styles only, never framed, no referrer. */
export const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/**
 * The file a console path names, relative to the built directory, or null for none.
 *
 * @example
 * staticFile('/console/'); // { file: 'index.html', immutable: false }
 * staticFile('/console/assets/index-3fa1.js'); // { file: 'assets/index-3fa1.js', immutable: true }
 */
export function staticFile(path: string): { file: string; immutable: boolean } | null {
  if (path === `${CONSOLE_PATH}/` || path === `${CONSOLE_PATH}/index.html`)
    return { file: 'index.html', immutable: false };
  const assets = `${CONSOLE_PATH}/assets/`;
  if (!path.startsWith(assets)) return null;
  const name = path.slice(assets.length);
  return ASSET_NAME.test(name) && TYPES[extname(name)] !== undefined
    ? { file: `assets/${name}`, immutable: true }
    : null;
}

/**
 * Answers with a built file of `dir`: 404 when it is not there, 503 when nothing was built.
 *
 * @example
 * await sendStatic(res, consoleDir, { file: 'index.html', immutable: false });
 */
export async function sendStatic(
  res: ServerResponse,
  dir: string,
  wanted: { file: string; immutable: boolean },
): Promise<void> {
  let body: Buffer;
  try {
    body = await readFile(join(dir, wanted.file));
  } catch {
    const built = await readFile(join(dir, 'index.html')).then(
      () => true,
      () => false,
    );
    if (built) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found.\n');
      return;
    }
    res
      .writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' })
      .end(
        'The console is not built. Run `npm run build` in the repository (it builds packages/console), then reload.\n',
      );
    return;
  }
  res.writeHead(200, {
    ...PAGE_HEADERS,
    'content-type': TYPES[extname(wanted.file)] ?? 'application/octet-stream',
    'content-length': body.length,
    'cache-control': wanted.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  res.end(body);
}
