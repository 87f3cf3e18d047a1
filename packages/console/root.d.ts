/**
 * The directory of the built console (`index.html` and `assets/`), which `npm run build` makes.
 *
 * @example
 * import { consoleDir } from '@realtime-gateway/console';
 * consoleStatic(consoleDir);
 */
export declare const consoleDir: string;
