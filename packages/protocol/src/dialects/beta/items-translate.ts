/**
 * Translation of conversation items between the dialects. Items are the same in both but for
 * the names of assistant content (`text`/`audio` in beta, `output_text`/`output_audio` in
 * GA) and what only one side has: GA's images and MCP items, beta's item references inside a
 * message. Fields of an item are otherwise carried over as they are, unknown ones included,
 * and unchanged values are shared with the input, not copied.
 */
import type { ConversationItem, ResponseInputItem } from '../../model/items.js';
import type { BetaConversationItem, BetaResponseInputItem } from './items.js';
import { type Translation, type UnsupportedField, unsupportedField } from './unsupported.js';

type Part = Readonly<Record<string, unknown>>;

/** Names of assistant content parts, beta to GA; GA's legacy names are beta's own. */
const BETA_ASSISTANT_TO_GA: Readonly<Record<string, string>> = { text: 'output_text', audio: 'output_audio' };
const GA_ASSISTANT_TO_BETA: Readonly<Record<string, string>> = {
  output_text: 'text',
  output_audio: 'audio',
  text: 'text',
  audio: 'audio',
};

/** The part with its `type` renamed through `names` (a part without a type keeps none). */
function renamePart(part: Part, names: Readonly<Record<string, string>>): Part {
  const type = part.type;
  if (typeof type !== 'string' || !Object.hasOwn(names, type) || names[type] === type) return part;
  return { ...part, type: names[type] };
}

/** The part without `keys`, each reported at `path` + key; the part itself when it has none. */
function withoutFields(
  part: Part,
  keys: readonly string[],
  path: readonly (string | number)[],
  reason: string,
  unsupported: UnsupportedField[],
): Part {
  const present = keys.filter((key) => part[key] !== undefined);
  if (present.length === 0) return part;
  const kept: Record<string, unknown> = { ...part };
  for (const key of present) {
    delete kept[key];
    unsupported.push(unsupportedField([...path, key], reason));
  }
  return kept;
}

function betaUserPartToGa(part: Part, path: readonly (string | number)[], unsupported: UnsupportedField[]) {
  if (part.type === 'item_reference') {
    unsupported.push(
      unsupportedField(path, 'GA message content cannot reference an item; reference it in `input` instead.'),
    );
    return undefined;
  }
  return withoutFields(part, ['id'], path, 'Only a beta item_reference part has an id.', unsupported);
}

function gaUserPartToBeta(part: Part, path: readonly (string | number)[], unsupported: UnsupportedField[]) {
  if (part.type === 'input_image') {
    unsupported.push(unsupportedField(path, 'Beta messages hold text and audio only, not images.'));
    return undefined;
  }
  return withoutFields(part, ['image_url', 'detail'], path, 'Beta messages have no images.', unsupported);
}

/** Translates each part of `content`; a part `translate` gives nothing for is left out. */
function mapContent(
  content: readonly Part[],
  translate: (part: Part, path: readonly (string | number)[]) => Part | undefined,
): Part[] {
  const out: Part[] = [];
  content.forEach((part, index) => {
    const translated = translate(part, ['content', index]);
    if (translated !== undefined) out.push(translated);
  });
  return out;
}

/** A message with new content, or the message itself when no part changed. */
function withContent<M extends { content: readonly unknown[] }>(message: M, content: readonly Part[]): M {
  const same =
    content.length === message.content.length && content.every((part, i) => part === message.content[i]);
  return same ? message : { ...message, content };
}

/**
 * A beta item as GA: assistant `text` and `audio` parts become `output_text` and
 * `output_audio`. Reported, and left out: an `item_reference` part in a message, and the `id`
 * of any other part. Paths are within the item (`content[1]`).
 *
 * @example
 * betaItemToGa({ type: 'message', role: 'assistant', content: [{ type: 'text', text: 'Hi' }] }).value;
 * // { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hi' }] }
 */
export function betaItemToGa(item: BetaConversationItem): Translation<ConversationItem> {
  const unsupported: UnsupportedField[] = [];
  if (item.type !== 'message') return { value: item, unsupported };
  switch (item.role) {
    case 'assistant':
      return {
        value: withContent(
          item,
          mapContent(item.content, (part) => renamePart(part, BETA_ASSISTANT_TO_GA)),
        ),
        unsupported,
      } as Translation<ConversationItem>;
    case 'user':
      return {
        value: withContent(
          item,
          mapContent(item.content, (part, path) => betaUserPartToGa(part, path, unsupported)),
        ),
        unsupported,
      } as Translation<ConversationItem>;
    default:
      return { value: item, unsupported };
  }
}

/** The MCP item kinds, which only GA has. */
const MCP_ITEMS = new Set(['mcp_list_tools', 'mcp_call', 'mcp_approval_request', 'mcp_approval_response']);

/**
 * A GA item as beta, or `undefined` (and a report at the path `[]`) for an item beta has no
 * kind for: the MCP ones. Assistant `output_text` and `output_audio` parts become `text` and
 * `audio`; image parts of a user message, and `image_url`/`detail` on its other parts, are
 * reported and left out, so the beta message may have fewer parts.
 *
 * @example
 * gaItemToBeta({ type: 'message', role: 'assistant', content: [{ type: 'output_audio', transcript: 'Hi' }] }).value;
 * // { type: 'message', role: 'assistant', content: [{ type: 'audio', transcript: 'Hi' }] }
 */
export function gaItemToBeta(item: ConversationItem): Translation<BetaConversationItem | undefined> {
  const unsupported: UnsupportedField[] = [];
  if (MCP_ITEMS.has(item.type)) {
    unsupported.push(unsupportedField([], `Beta conversations have no '${item.type}' items.`));
    return { value: undefined, unsupported };
  }
  if (item.type !== 'message') return { value: item as BetaConversationItem, unsupported };
  switch (item.role) {
    case 'assistant':
      return {
        value: withContent(
          item,
          mapContent(item.content, (part) => renamePart(part, GA_ASSISTANT_TO_BETA)),
        ),
        unsupported,
      } as Translation<BetaConversationItem>;
    case 'user':
      return {
        value: withContent(
          item,
          mapContent(item.content, (part, path) => gaUserPartToBeta(part, path, unsupported)),
        ),
        unsupported,
      } as Translation<BetaConversationItem>;
    default:
      return { value: item, unsupported };
  }
}

/** An entry of a beta `response.create` `input` as GA; a reference to an item is the same. */
export function betaInputItemToGa(item: BetaResponseInputItem): Translation<ResponseInputItem> {
  if (item.type === 'item_reference') return { value: item, unsupported: [] };
  return betaItemToGa(item);
}

/** An entry of a GA `response.create` `input` as beta, or `undefined` for an MCP item. */
export function gaInputItemToBeta(item: ResponseInputItem): Translation<BetaResponseInputItem | undefined> {
  if (item.type === 'item_reference') return { value: item, unsupported: [] };
  return gaItemToBeta(item);
}
