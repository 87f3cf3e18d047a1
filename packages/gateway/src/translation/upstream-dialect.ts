/**
 * Which upstreams can take a translation session: only those that speak GA. The beta protocol
 * never had translation sessions, so an upstream configured `dialect: beta` would be dialled at
 * a `/realtime/translations` it does not serve, and the dialect edges that let a GA client
 * talk to it translate conversation events only.
 */
import type { DialectNeed } from '../routing/router.js';

/**
 * What the router is told for a translation session.
 *
 * @example
 * const plan = await router.plan(model, TRANSLATION_NEEDS_GA);
 */
export const TRANSLATION_NEEDS_GA: DialectNeed = {
  dialect: 'ga',
  why: 'Translation sessions (/v1/realtime/translations) exist only in the GA protocol, and a beta upstream has none.',
};
