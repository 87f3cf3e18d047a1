// The built console (`npm run build` writes it), for the gateway to serve at /console.
import { fileURLToPath } from 'node:url';

export const consoleDir = fileURLToPath(new URL('./dist/', import.meta.url));
