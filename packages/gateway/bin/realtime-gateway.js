#!/usr/bin/env node
// The `realtime-gateway` command: runs the built CLI. npm links a workspace's bins while it installs,
// before the root's `prepare` script has built dist/, and skips a bin whose file is missing;
// this file is in the repository, so the link is always made.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (existsSync(cli)) await import(cli.href);
else {
  process.stderr.write('realtime-gateway: not built yet; run `npm run build` at the repository root.\n');
  process.exitCode = 1;
}
