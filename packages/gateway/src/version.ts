import { createRequire } from 'node:module';

/** The gateway package's version; `src/` and `dist/` both sit next to its `package.json`. */
export const GATEWAY_VERSION: string = (
  createRequire(import.meta.url)('../package.json') as { version: string }
).version;
