/**
 * The admin API of a deployment of several nodes: whichever node is asked lists every node's
 * sessions (each with its node's id), and shows or terminates a session wherever it lives. A
 * question to all goes out on the bus and is answered by every live node (the store's directory
 * says who is live, so the asker stops waiting once all have answered); a question about one
 * session goes to the node the directory names as its holder, which ends it with 1008 and the
 * reason as it would its own.
 *
 * A session's recording outlives the session's directory entry, so the node that has it is
 * found by asking every live node (see {@link DeploymentAdmin.recordingHolder}).
 *
 * The bus delivers at most once: a node that does not answer within the deadline is left out of
 * a list, and a session on it reads as not found.
 */
import { randomUUID } from 'node:crypto';
import type { AdminRegistry } from '../admin/admin.js';
import type { SessionSnapshot } from '../session/registry.js';
import type { Bus } from '../store/bus.js';
import type { StoreHolder } from '../store/holder.js';
import { SESSION_ENTRY } from '../store/store.js';

/** A session as the deployment's admin API lists it: with the node that holds it. */
export type NodeSessionSnapshot = SessionSnapshot & { readonly node: string };

type AdminOperation =
  | { readonly op: 'list' }
  | { readonly op: 'get'; readonly sessionId: string }
  | { readonly op: 'terminate'; readonly sessionId: string; readonly reason: string }
  | { readonly op: 'recording'; readonly sessionId: string }
  | { readonly op: 'upstreams' };

/** One node's own view of its upstreams (the console shows them side by side). */
export interface NodeUpstreams {
  readonly node: string;
  readonly upstreams: readonly unknown[];
}

interface AdminRequest {
  readonly kind: 'request';
  readonly id: string;
  /** The asking process's holder name: the answer goes to its channel. */
  readonly from: string;
  readonly operation: AdminOperation;
}

interface AdminReply {
  readonly kind: 'reply';
  readonly id: string;
  readonly result: unknown;
}

/** Questions to every node. */
const EVERYONE = 'admin';
/** Questions to one process, and the answers to its questions. */
const channelOf = (holder: string): string => `admin:${holder}`;

/** Options for {@link DeploymentAdmin}. */
export interface DeploymentAdminOptions {
  readonly bus: Bus;
  /** This process in the store: its name, and the directory of sessions and live processes. */
  readonly holder: StoreHolder;
  /** This node's id, shown with each of its sessions. */
  readonly node: string;
  /** This process's own sessions. */
  readonly local: AdminRegistry;
  /** This process's session recordings, when it records sessions. */
  readonly recordings?: { lookup(sessionId: string): Promise<{ readonly status: string }> } | null;
  /** How long the other nodes may take to answer. */
  readonly timeoutMs: number;
  /** Told when a message cannot be read or an answer cannot be sent. */
  readonly onError?: (error: unknown) => void;
  /** This node's view of its upstreams, answered when another node's console asks. */
  readonly upstreams?: () => readonly unknown[];
}

/**
 * @example
 * const admin = new DeploymentAdmin({ bus, holder, node: 'gw-a', local: registry, timeoutMs: 2000 });
 * await admin.start();
 * adminHandler(admin, config.admin.keyHash);
 */
export class DeploymentAdmin implements AdminRegistry {
  private readonly pending = new Map<string, (result: unknown) => void>();

  constructor(private readonly options: DeploymentAdminOptions) {}

  /** Subscribes this process to the deployment's admin questions, and answers them from then on. */
  async start(): Promise<void> {
    const listener = (message: string): void => this.onMessage(message);
    await this.options.bus.subscribe(EVERYONE, listener);
    await this.options.bus.subscribe(channelOf(this.options.holder.id), listener);
  }

  async list(): Promise<NodeSessionSnapshot[]> {
    const others = await this.otherNodes();
    const [own, theirs] = await Promise.all([
      this.localList(),
      others === 0 ? [] : this.ask(EVERYONE, { op: 'list' }, others),
    ]);
    return [...own, ...(theirs as NodeSessionSnapshot[][]).flat()];
  }

  /** Every live node's view of its upstreams, this node's first. */
  async upstreams(): Promise<NodeUpstreams[]> {
    const others = await this.otherNodes();
    const theirs = others === 0 ? [] : await this.ask(EVERYONE, { op: 'upstreams' }, others);
    return [this.localUpstreams(), ...(theirs as NodeUpstreams[])];
  }

  async get(sessionId: string): Promise<NodeSessionSnapshot | null> {
    const own = await this.options.local.get(sessionId);
    if (own !== null) return this.tagged(own);
    const holder = await this.holderOf(sessionId);
    if (holder === null) return null;
    const [answer] = await this.ask(channelOf(holder), { op: 'get', sessionId }, 1);
    return (answer as NodeSessionSnapshot | null | undefined) ?? null;
  }

  async terminate(sessionId: string, reason: string): Promise<boolean> {
    if (await this.options.local.terminate(sessionId, reason)) return true;
    const holder = await this.holderOf(sessionId);
    if (holder === null) return false;
    const [answer] = await this.ask(channelOf(holder), { op: 'terminate', sessionId, reason }, 1);
    return answer === true;
  }

  /**
   * The other process that has a session's recording (being written, or finished), by its
   * name; null when no live node says it has. Asked of every node: the directory forgets a
   * session when it ends, its recording stays where it was written.
   */
  async recordingHolder(sessionId: string): Promise<string | null> {
    const others = await this.otherNodes();
    if (others === 0) return null;
    const answers = await this.ask(
      EVERYONE,
      { op: 'recording', sessionId },
      others,
      (answer) => answer !== null,
    );
    return (answers.find((answer) => typeof answer === 'string') as string | undefined) ?? null;
  }

  /** How many other processes are live: the answers a question to all waits for. */
  private otherNodes(): Promise<number> {
    return (
      this.options.holder
        .nodes()
        .then((nodes) => nodes.filter((holder) => holder !== this.options.holder.id).length)
        // Without the directory, the asker cannot know who is live: it waits out the deadline.
        .catch(() => Number.POSITIVE_INFINITY)
    );
  }

  private localUpstreams(): NodeUpstreams {
    return { node: this.options.node, upstreams: this.options.upstreams?.() ?? [] };
  }

  /** The other process the directory names for a session, or null. */
  private async holderOf(sessionId: string): Promise<string | null> {
    const holder = await this.options.holder.store.locate(SESSION_ENTRY, sessionId);
    return holder === this.options.holder.id ? null : holder;
  }

  private async localList(): Promise<NodeSessionSnapshot[]> {
    return (await this.options.local.list()).map((snapshot) => this.tagged(snapshot));
  }

  private tagged(snapshot: SessionSnapshot): NodeSessionSnapshot {
    return { ...snapshot, node: this.options.node };
  }

  /**
   * Publishes a question and collects up to `expected` answers, or what came by the deadline;
   * an answer `enough` accepts ends the wait at once.
   */
  private async ask(
    channel: string,
    operation: AdminOperation,
    expected: number,
    enough: (answer: unknown) => boolean = () => false,
  ): Promise<unknown[]> {
    const id = randomUUID();
    const answers: unknown[] = [];
    const done = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.options.timeoutMs);
      this.pending.set(id, (result) => {
        answers.push(result);
        if (answers.length < expected && !enough(result)) return;
        clearTimeout(timer);
        resolve();
      });
    });
    const request: AdminRequest = { kind: 'request', id, from: this.options.holder.id, operation };
    try {
      await this.options.bus.publish(channel, JSON.stringify(request));
      await done;
    } catch (error) {
      this.options.onError?.(error);
    } finally {
      this.pending.delete(id);
    }
    return answers;
  }

  private onMessage(text: string): void {
    let message: AdminRequest | AdminReply;
    try {
      message = JSON.parse(text) as AdminRequest | AdminReply;
    } catch (error) {
      this.options.onError?.(error);
      return;
    }
    if (message?.kind === 'reply') this.pending.get(message.id)?.(message.result);
    else if (message?.kind === 'request' && message.from !== this.options.holder.id)
      void this.answer(message).catch((error: unknown) => this.options.onError?.(error));
  }

  private async answer(request: AdminRequest): Promise<void> {
    const { operation } = request;
    const { local } = this.options;
    let result: unknown;
    if (operation.op === 'list') result = await this.localList();
    else if (operation.op === 'upstreams') result = this.localUpstreams();
    else if (operation.op === 'get') {
      const own = await local.get(operation.sessionId);
      result = own === null ? null : this.tagged(own);
    } else if (operation.op === 'recording') {
      const found = await this.options.recordings?.lookup(operation.sessionId);
      result = found === undefined || found.status === 'none' ? null : this.options.holder.id;
    } else result = await local.terminate(operation.sessionId, operation.reason);
    const reply: AdminReply = { kind: 'reply', id: request.id, result };
    await this.options.bus.publish(channelOf(request.from), JSON.stringify(reply));
  }
}
