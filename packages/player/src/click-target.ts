import {
  EventType,
  IncrementalSource,
  isClick,
  isCustomEvent,
  isIncremental,
  isRecord,
  type RecordedEvent,
  ReservedEvent,
} from '@replaykit/core';

/** The longest label a click's target gets in the inspector, characters; a longer one is cut with "…". */
export const CLICK_TARGET_LABEL_MAX_LENGTH = 40;
/**
 * The most recorded nodes read for the text of one click's target: a click on a large region
 * (a page's `<main>`) names it by its first words, without reading the whole page.
 */
export const CLICK_TARGET_TEXT_MAX_NODES = 200;

/**
 * How long before its rage click marker a click may be stamped and still be the click that
 * made it, ms. The recorder stamps the marker in the handler of that click, so the two are
 * a millisecond or so apart; an earlier click of the same burst is further off.
 */
export const RAGE_CLICK_MATCH_MS = 100;

/** rrweb's serialized node types (`type` of a node in a snapshot or a mutation's add). */
const DOCUMENT_NODE = 0;
const ELEMENT_NODE = 2;
const TEXT_NODE = 3;

/** One node of the recorded page, as far as a click's description needs it. */
interface TrackedNode {
  /** Lower-case tag name, for an element. */
  tag?: string;
  /** Text of a text node. */
  text?: string;
  attributes: Record<string, unknown>;
  parent?: number;
  children: number[];
}

/**
 * Elements whose own text is a value someone typed or chose (never shown), or no text at all.
 * A click's description reads none of their text.
 */
const NO_TEXT_TAGS: ReadonlySet<string> = new Set([
  'input',
  'textarea',
  'select',
  'option',
  'script',
  'style',
  'noscript',
  'template',
]);

/** Elements a click means to reach: a click on an icon inside a button names the button. */
const INTERACTIVE_TAGS: ReadonlySet<string> = new Set([
  'a',
  'button',
  'input',
  'select',
  'textarea',
  'label',
  'summary',
]);
const INTERACTIVE_ROLES: ReadonlySet<string> = new Set([
  'button',
  'link',
  'checkbox',
  'radio',
  'switch',
  'tab',
  'menuitem',
  'option',
]);

function stringAttribute(node: TrackedNode, name: string): string {
  const value = node.attributes[name];
  return typeof value === 'string' ? value.replace(/\s+/g, ' ').trim() : '';
}

function isInteractive(node: TrackedNode): boolean {
  return (
    (node.tag !== undefined && INTERACTIVE_TAGS.has(node.tag)) ||
    INTERACTIVE_ROLES.has(stringAttribute(node, 'role'))
  );
}

function cut(label: string): string {
  return label.length > CLICK_TARGET_LABEL_MAX_LENGTH
    ? `${label.slice(0, CLICK_TARGET_LABEL_MAX_LENGTH - 1).trimEnd()}…`
    : label;
}

/**
 * The recorded page's nodes by id, kept up to date event by event (full snapshots and
 * mutations), so that a click's node id can be named as the page stood at the click.
 */
class RecordedNodes {
  private readonly nodes = new Map<number, TrackedNode>();

  apply(event: RecordedEvent): void {
    if (event.type === EventType.FullSnapshot && isRecord(event.data)) {
      this.nodes.clear();
      this.add(event.data.node, undefined, null);
      return;
    }
    if (!isIncremental(event, IncrementalSource.Mutation)) {
      return;
    }
    const data = event.data as Record<string, unknown>;
    for (const removal of Array.isArray(data.removes) ? data.removes : []) {
      if (isRecord(removal) && typeof removal.id === 'number') {
        this.remove(removal.id);
      }
    }
    for (const addition of Array.isArray(data.adds) ? data.adds : []) {
      if (isRecord(addition) && typeof addition.parentId === 'number') {
        const nextId = typeof addition.nextId === 'number' ? addition.nextId : null;
        this.add(addition.node, addition.parentId, nextId);
      }
    }
    for (const change of Array.isArray(data.texts) ? data.texts : []) {
      const node = isRecord(change) && typeof change.id === 'number' ? this.nodes.get(change.id) : undefined;
      if (node !== undefined && node.tag === undefined) {
        node.text = typeof change.value === 'string' ? change.value : '';
      }
    }
    for (const change of Array.isArray(data.attributes) ? data.attributes : []) {
      const node = isRecord(change) && typeof change.id === 'number' ? this.nodes.get(change.id) : undefined;
      if (node !== undefined && isRecord(change.attributes)) {
        Object.assign(node.attributes, change.attributes);
      }
    }
  }

  /** Adds a serialized node (and the children it carries) under `parent`, before `nextId` if given. */
  private add(serialized: unknown, parent: number | undefined, nextId: number | null): void {
    if (!isRecord(serialized) || typeof serialized.id !== 'number') {
      return;
    }
    const id = serialized.id;
    // A node added again (moved) leaves its old place.
    if (this.nodes.has(id)) {
      this.remove(id);
    }
    const node: TrackedNode = {
      tag:
        serialized.type === ELEMENT_NODE && typeof serialized.tagName === 'string'
          ? serialized.tagName.toLowerCase()
          : undefined,
      text:
        serialized.type === TEXT_NODE && typeof serialized.textContent === 'string'
          ? serialized.textContent
          : undefined,
      attributes: isRecord(serialized.attributes) ? { ...serialized.attributes } : {},
      parent,
      children: [],
    };
    this.nodes.set(id, node);
    const parentNode = parent === undefined ? undefined : this.nodes.get(parent);
    if (parentNode !== undefined) {
      const before = nextId === null ? -1 : parentNode.children.indexOf(nextId);
      if (before === -1) {
        parentNode.children.push(id);
      } else {
        parentNode.children.splice(before, 0, id);
      }
    }
    if (serialized.type === DOCUMENT_NODE || serialized.type === ELEMENT_NODE) {
      for (const child of Array.isArray(serialized.childNodes) ? serialized.childNodes : []) {
        this.add(child, id, null);
      }
    }
  }

  /** Forgets a node and everything under it. */
  private remove(id: number): void {
    const node = this.nodes.get(id);
    if (node === undefined) {
      return;
    }
    const parentNode = node.parent === undefined ? undefined : this.nodes.get(node.parent);
    if (parentNode !== undefined) {
      const index = parentNode.children.indexOf(id);
      if (index !== -1) {
        parentNode.children.splice(index, 1);
      }
    }
    const pending = [id];
    for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
      const removed = this.nodes.get(next);
      this.nodes.delete(next);
      if (removed !== undefined) {
        pending.push(...removed.children);
      }
    }
  }

  /** The first words of the text under `node` (already masked where the recording masked it). */
  private textOf(node: TrackedNode): string {
    let text = '';
    let visited = 0;
    // Depth first, in document order: children are pushed last to first.
    const pending = [...node.children].reverse();
    for (let id = pending.pop(); id !== undefined; id = pending.pop()) {
      visited += 1;
      const child = this.nodes.get(id);
      if (visited > CLICK_TARGET_TEXT_MAX_NODES || text.length > CLICK_TARGET_LABEL_MAX_LENGTH) {
        break;
      }
      if (child === undefined || (child.tag !== undefined && NO_TEXT_TAGS.has(child.tag))) {
        continue;
      }
      if (child.text !== undefined) {
        text += child.text;
      }
      for (let index = child.children.length - 1; index >= 0; index -= 1) {
        pending.push(child.children[index] as number);
      }
    }
    return text.replace(/\s+/g, ' ').trim();
  }

  /**
   * A short description of the element a click on node `id` reached: its tag (an input's
   * type too) and its best label: aria-label, alt, visible text, title, placeholder, name or
   * id. Never a field's value. Undefined for a node the recording does not hold.
   */
  describe(id: number): string | undefined {
    let node = this.nodes.get(id);
    // A click on a text node (or an icon inside a button) names the element it belongs to.
    while (node !== undefined && node.tag === undefined && node.parent !== undefined) {
      node = this.nodes.get(node.parent);
    }
    if (node?.tag === undefined) {
      return undefined;
    }
    for (let ancestor: TrackedNode | undefined = node; ancestor?.tag !== undefined; ) {
      if (isInteractive(ancestor)) {
        node = ancestor;
        break;
      }
      ancestor = ancestor.parent === undefined ? undefined : this.nodes.get(ancestor.parent);
    }
    const tag = node.tag;
    if (tag === undefined) {
      return undefined;
    }
    const type = tag === 'input' ? stringAttribute(node, 'type') || 'text' : '';
    const editable =
      node.attributes.contenteditable !== undefined && node.attributes.contenteditable !== 'false';
    const label =
      stringAttribute(node, 'aria-label') ||
      stringAttribute(node, 'alt') ||
      (NO_TEXT_TAGS.has(tag) || editable ? '' : this.textOf(node)) ||
      stringAttribute(node, 'title') ||
      stringAttribute(node, 'placeholder') ||
      stringAttribute(node, 'name') ||
      stringAttribute(node, 'id');
    const what = type === '' ? tag : `${type} ${tag}`;
    return label === '' ? what : `${what} "${cut(label)}"`;
  }
}

/** Each click's (and each matched rage or dead click's) description, once derived. */
const describedClicks = new WeakMap<RecordedEvent, string | undefined>();

/** A click as its rage or dead click marker is matched against it. */
interface SeenClick {
  x: unknown;
  y: unknown;
  timestamp: number;
  description: string | undefined;
}

/** A rage click marker still waiting for the click after it, which may be its own. */
interface PendingRage {
  event: RecordedEvent;
  x: unknown;
  y: unknown;
  /** The click just before it, when that click could be its own (a timeline sorted by time). */
  before: SeenClick | undefined;
}

/** How far the nodes of a recording (keyed by its first event) have been followed. */
const progressByRecording = new WeakMap<
  RecordedEvent,
  {
    nodes: RecordedNodes;
    applied: number;
    lastApplied: RecordedEvent | undefined;
    lastClick: SeenClick | undefined;
    pendingRage: PendingRage | undefined;
  }
>();

/** Whether `click` was at (`x`, `y`), as a marker gives them; a marker without them matches no click. */
function isSameSpot(click: SeenClick, x: unknown, y: unknown): boolean {
  return typeof x === 'number' && typeof y === 'number' && click.x === x && click.y === y;
}

/**
 * Whether `click` can be the click a rage marker at (`x`, `y`) stamped `timestamp` was made
 * for: the recorder emits the marker with that click's own coordinates, in its handler.
 */
function isRageClickOf(click: SeenClick, x: unknown, y: unknown, timestamp: number): boolean {
  return (
    isSameSpot(click, x, y) &&
    click.timestamp <= timestamp &&
    timestamp - click.timestamp <= RAGE_CLICK_MATCH_MS
  );
}

/**
 * The target of a rage marker from the clicks on each side of it: the recorder pushes the
 * marker just before its click, but a timeline sorted by time may put that click first. When
 * both could be its own and name different targets, nothing is said (the marker's selector is).
 */
function rageTarget(before: SeenClick | undefined, after: SeenClick | undefined): string | undefined {
  if (before !== undefined && after !== undefined && before.description !== after.description) {
    return undefined;
  }
  return (after ?? before)?.description;
}

/**
 * Names the target of each click in `events` (in time order) from the recording alone: the
 * page as its snapshots and mutations built it up to the click. A rage or dead click marker
 * gets the target of the click it was made for, when that click is found for sure. One pass;
 * a streaming recording that grew since the last call is followed on from where it was.
 */
export function describeClickTargets(
  events: readonly RecordedEvent[],
): (event: RecordedEvent) => string | undefined {
  const first = events[0];
  if (first === undefined) {
    return () => undefined;
  }
  let progress = progressByRecording.get(first);
  if (
    progress === undefined ||
    progress.applied > events.length ||
    events[progress.applied - 1] !== progress.lastApplied
  ) {
    progress = {
      nodes: new RecordedNodes(),
      applied: 0,
      lastApplied: undefined,
      lastClick: undefined,
      pendingRage: undefined,
    };
    progressByRecording.set(first, progress);
  }
  for (let index = progress.applied; index < events.length; index += 1) {
    const event = events[index] as RecordedEvent;
    if (isClick(event)) {
      const data = event.data as Record<string, unknown>;
      const description = typeof data.id === 'number' ? progress.nodes.describe(data.id) : undefined;
      describedClicks.set(event, description);
      const click: SeenClick = { x: data.x, y: data.y, timestamp: event.timestamp, description };
      const rage = progress.pendingRage;
      if (rage !== undefined) {
        const after = isRageClickOf(click, rage.x, rage.y, rage.event.timestamp) ? click : undefined;
        describedClicks.set(rage.event, rageTarget(rage.before, after));
        progress.pendingRage = undefined;
      }
      progress.lastClick = click;
    } else if (isCustomEvent(event) && event.data.tag === ReservedEvent.RageClick) {
      const { x, y } = isRecord(event.data.payload) ? event.data.payload : {};
      const last = progress.lastClick;
      const before = last !== undefined && isRageClickOf(last, x, y, event.timestamp) ? last : undefined;
      // Until the next click shows whether it is the marker's own, the click before stands.
      describedClicks.set(event, rageTarget(before, undefined));
      progress.pendingRage = { event, x, y, before };
    } else if (isCustomEvent(event) && event.data.tag === ReservedEvent.DeadClick) {
      // A later click cancels a dead click's wait: its click is the last one before it.
      const { x, y } = isRecord(event.data.payload) ? event.data.payload : {};
      const last = progress.lastClick;
      const matched = last !== undefined && isSameSpot(last, x, y) && last.timestamp <= event.timestamp;
      describedClicks.set(event, matched ? last.description : undefined);
    } else {
      progress.nodes.apply(event);
    }
    progress.lastApplied = event;
  }
  progress.applied = events.length;
  return (event) => describedClicks.get(event);
}
