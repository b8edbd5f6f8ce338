import {
  EventType,
  IncrementalSource,
  isMetaEvent,
  REDACTED,
  type RecordedEvent,
  ReservedEvent,
  redactUrl,
} from '@replaykit/core';
import { record } from '@rrweb/record';

/**
 * Privacy rules applied in the browser, before anything is buffered or sent. rrweb has no
 * "unmask", so every text node and every input goes through one decision: passwords and
 * payment fields are masked whatever the markers say, then the nearest privacy marker wins
 * (`data-rk-mask` inside `data-rk-unmask` masks), then the preset decides. rrweb never masks
 * attributes or URLs, so the event processor applies the same decision to them.
 */

/** Data attributes that the React wrappers set and that plain markup can use directly. */
export const PRIVACY_ATTRIBUTES = {
  mask: 'data-rk-mask',
  unmask: 'data-rk-unmask',
  block: 'data-rk-block',
  ignore: 'data-rk-ignore',
} as const;

/**
 * What each preset hides (unmarked content; markers and never-unmaskable fields apply on top):
 *
 * | preset | text | inputs | attributes¹ | URL query values | media² |
 * |---|---|---|---|---|---|
 * | `strict` | all masked | all masked | all masked | all redacted | blocked |
 * | `balanced` (default) | emails, card, phone, id numbers masked | all masked | like text | sensitive names³ and personal-looking values redacted | recorded |
 * | `relaxed` | clear | clear (except passwords, payment) | clear | sensitive names³ redacted | recorded |
 *
 * ¹ `placeholder`, `title`, `alt`, `aria-label`, … ({@link MASKED_TEXT_ATTRIBUTES}); `value`
 * of buttons and options follows the input rule. ² `img`, `picture`, `video`, `canvas`,
 * `iframe`, `object`, `embed`. ³ core's `SENSITIVE_QUERY_WORDS` plus `sensitiveQueryParams`.
 */
export type PrivacyPreset = 'strict' | 'balanced' | 'relaxed';

/** The presets, in order from most to least private. */
export const PRIVACY_PRESETS: readonly PrivacyPreset[] = ['strict', 'balanced', 'relaxed'];

export interface PrivacyConfig {
  /** Default `balanced`. */
  preset?: PrivacyPreset;
  /** Extra selectors masked like `data-rk-mask`. */
  maskSelectors?: string[];
  /** Extra selectors unmasked like `data-rk-unmask`. */
  unmaskSelectors?: string[];
  /** Extra selectors blocked like `data-rk-block`. */
  blockSelectors?: string[];
  /** Extra selectors whose input events are ignored, like `data-rk-ignore`. */
  ignoreSelectors?: string[];
  /** Selectors of inputs and regions that are masked even inside an unmask region. */
  alwaysMaskSelectors?: string[];
  /** Query parameter names redacted in recorded URLs, on top of replaykit's list (`SENSITIVE_QUERY_WORDS`). */
  sensitiveQueryParams?: string[];
  /** Attribute names whose values are always masked, under every preset (e.g. `data-customer-name`). */
  maskAttributes?: string[];
}

/** Attributes whose values are text a person reads, masked like the element's text. */
export const MASKED_TEXT_ATTRIBUTES: readonly string[] = [
  'placeholder',
  'title',
  'alt',
  'aria-label',
  'aria-description',
  'aria-placeholder',
  'aria-valuetext',
  'aria-roledescription',
  'label',
];

/** Attributes that hold a URL (or, for `srcset`, a list of them). */
const URL_ATTRIBUTES: ReadonlySet<string> = new Set([
  'href',
  'src',
  'srcset',
  'action',
  'formaction',
  'poster',
  'cite',
  'data',
  'background',
  'ping',
  'xlink:href',
  // rrweb's name for the src of an iframe it did not load.
  'rr_src',
]);

/** Elements whose `value` attribute is something a person typed or chose. */
const VALUE_ELEMENTS: ReadonlySet<string> = new Set(['input', 'textarea', 'select', 'option', 'button']);

/** Media the `strict` preset replaces by empty boxes. */
const STRICT_BLOCKED_MEDIA = 'img, picture, video, canvas, iframe, object, embed';

const MASK_CHARACTER = '*';

/** Replaces every non-space character with `*`, keeping the text's shape. */
export function maskText(text: string): string {
  return text.replace(/\S/g, MASK_CHARACTER);
}

// Patterns for text that looks personal under the `balanced` preset. They err towards
// masking: a masked price is a small loss, a leaked card number is not.
const SENSITIVE_TEXT_PATTERNS: RegExp[] = [
  // Email addresses.
  /[^\s@<>()[\]]+@[^\s@<>()[\]]+\.[A-Za-z]{2,}/g,
  // Card numbers: 13 to 19 digits, optionally grouped by spaces or dashes.
  /\b(?:\d[ -]?){12,18}\d\b/g,
  // US-style national ids (SSN).
  /\b\d{3}-\d{2}-\d{4}\b/g,
  // Phone numbers: an optional country code, then at least 9 digits in groups.
  /(?:\+\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)[\s.-]?)?\d{2,4}[\s.-]\d{3,4}[\s.-]?\d{3,4}\b/g,
];

/**
 * The fewest digits any pattern above needs without an `@` (a phone number: 2 + 3 + 3).
 * Text with fewer digits and no `@` (most text, "Item 42" included) skips the regexes,
 * which matters because this runs for every text node of every snapshot.
 */
const SENSITIVE_MIN_DIGITS = 8;

function mayBeSensitive(text: string): boolean {
  let digits = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 64 /* @ */) {
      return true;
    }
    if (code >= 48 && code <= 57 && ++digits >= SENSITIVE_MIN_DIGITS) {
      return true;
    }
  }
  return false;
}

/** Masks the parts of a text that look like personal data (emails, cards, phones, ids). */
export function maskSensitiveText(text: string): string {
  if (!mayBeSensitive(text)) {
    return text;
  }
  let result = text;
  for (const pattern of SENSITIVE_TEXT_PATTERNS) {
    result = result.replace(pattern, (match) => maskText(match));
  }
  return result;
}

/** What happens to a piece of text: masked whole, only its personal-looking parts, or nothing. */
type TextRule = 'mask' | 'sensitive' | 'clear';

function applyTextRule(rule: TextRule, text: string): string {
  switch (rule) {
    case 'mask':
      return maskText(text);
    case 'sensitive':
      return maskSensitiveText(text);
    case 'clear':
      return text;
    default:
      return rule satisfies never;
  }
}

interface CompiledPrivacy {
  preset: PrivacyPreset;
  /** Matches an element carrying a mask or unmask marker. */
  markerSelector: string;
  maskSelector: string;
  alwaysMaskSelector: string | undefined;
  blockSelector: string;
  ignoreSelector: string;
  textAttributes: ReadonlySet<string>;
  alwaysMaskedAttributes: ReadonlySet<string>;
  attributeKinds: ReadonlyMap<string, AttributeKind>;
  /** True while the event processor handles one event: markers cannot change meanwhile. */
  processing: boolean;
  /** The processor's cache for the event it handles. */
  markerCache?: Map<Element, Marker>;
  /**
   * Set from a Meta event to its FullSnapshot: rrweb serializes the whole page in between,
   * synchronously, so markers cannot change and each element is tested once for the whole
   * snapshot (text and inputs during serialization, then attributes in the processor).
   */
  snapshotCache?: Map<Element, Marker>;
  queryWords: string[];
}

function joinSelectors(selectors: Array<string | undefined>): string {
  return selectors.filter((selector): selector is string => Boolean(selector)).join(', ');
}

function checkSelectors(name: string, selectors: string[] | undefined): string[] {
  if (selectors === undefined) {
    return [];
  }
  if (!Array.isArray(selectors)) {
    throw new Error(`privacy.${name} must be an array of CSS selectors, such as ['.customer-name'].`);
  }
  for (const selector of selectors) {
    if (typeof selector !== 'string' || selector.trim() === '') {
      throw new Error(
        `privacy.${name} has an empty or non-string selector; remove it or write a CSS selector.`,
      );
    }
    // A selector the browser cannot parse would make every closest() call throw mid-recording.
    if (typeof document !== 'undefined') {
      try {
        document.createDocumentFragment().querySelector(selector);
      } catch {
        throw new Error(`privacy.${name} has an invalid CSS selector: "${selector}". Fix or remove it.`);
      }
    }
  }
  return selectors;
}

function checkAttributeNames(names: string[] | undefined): string[] {
  if (names === undefined) {
    return [];
  }
  if (!Array.isArray(names) || names.some((name) => typeof name !== 'string' || name.trim() === '')) {
    throw new Error("privacy.maskAttributes must be an array of attribute names, such as ['data-customer'].");
  }
  return names.map((name) => name.trim().toLowerCase());
}

function compile(config: PrivacyConfig): CompiledPrivacy {
  const preset = config.preset ?? 'balanced';
  if (!PRIVACY_PRESETS.includes(preset)) {
    throw new Error(`Unknown privacy preset "${String(preset)}"; use one of ${PRIVACY_PRESETS.join(', ')}.`);
  }
  const maskSelector = joinSelectors([
    `[${PRIVACY_ATTRIBUTES.mask}]`,
    ...checkSelectors('maskSelectors', config.maskSelectors),
  ]);
  const unmaskSelector = joinSelectors([
    `[${PRIVACY_ATTRIBUTES.unmask}]`,
    ...checkSelectors('unmaskSelectors', config.unmaskSelectors),
  ]);
  const alwaysMask = checkSelectors('alwaysMaskSelectors', config.alwaysMaskSelectors);
  const textAttributes = new Set(MASKED_TEXT_ATTRIBUTES);
  const alwaysMaskedAttributes = new Set(checkAttributeNames(config.maskAttributes));
  return {
    preset,
    processing: false,
    textAttributes,
    alwaysMaskedAttributes,
    attributeKinds: attributeKinds({ textAttributes, alwaysMaskedAttributes }),
    markerSelector: `${maskSelector}, ${unmaskSelector}`,
    maskSelector,
    alwaysMaskSelector: alwaysMask.length ? alwaysMask.join(', ') : undefined,
    blockSelector: joinSelectors([
      `[${PRIVACY_ATTRIBUTES.block}]`,
      preset === 'strict' ? STRICT_BLOCKED_MEDIA : undefined,
      ...checkSelectors('blockSelectors', config.blockSelectors),
    ]),
    // rrweb matches ignoreSelector against the input itself, not its ancestors: a wrapper
    // covers the fields inside it only through a descendant selector.
    ignoreSelector: joinSelectors(
      [
        `[${PRIVACY_ATTRIBUTES.ignore}]`,
        ...checkSelectors('ignoreSelectors', config.ignoreSelectors),
      ].flatMap((selector) => [selector, `:is(${selector}) *`]),
    ),
    queryWords: config.sensitiveQueryParams ?? [],
  };
}

/**
 * `closest()` that also climbs out of shadow roots (to the host) and same-origin iframes (to
 * the `<iframe>`), so a `<Masked>` around either covers what is inside.
 */
function composedClosest(element: Element, selector: string): Element | null {
  let current: Element | null = element;
  while (current) {
    const found = current.closest(selector);
    if (found) {
      return found;
    }
    const root = current.getRootNode();
    if (root !== current.ownerDocument && (root as ShadowRoot).host) {
      current = (root as ShadowRoot).host;
    } else if (root === globalThis.document) {
      // The top document has no frame element; asking for it costs a security check.
      return null;
    } else {
      current = current.ownerDocument?.defaultView?.frameElement ?? null;
    }
  }
  return null;
}

type Marker = 'mask' | 'unmask' | 'none';

/** The parent element, crossing shadow roots (to the host) and same-origin frames (to the iframe). */
function composedParent(element: Element): Element | null {
  if (element.parentElement) {
    return element.parentElement;
  }
  const root = element.getRootNode();
  if (root !== element.ownerDocument && (root as ShadowRoot).host) {
    return (root as ShadowRoot).host;
  }
  if (root === globalThis.document) {
    return null;
  }
  return element.ownerDocument?.defaultView?.frameElement ?? null;
}

function nearestMarker(element: Element, privacy: CompiledPrivacy): Marker {
  let cache = privacy.markerCache ?? privacy.snapshotCache;
  if (!cache && privacy.processing) {
    // Made on first need: most events (mouse moves, scrolls) never ask for a marker.
    cache = privacy.markerCache = new Map();
  }
  if (!cache) {
    const marked = composedClosest(element, privacy.markerSelector);
    if (!marked) {
      return 'none';
    }
    return marked.matches(privacy.maskSelector) ? 'mask' : 'unmask';
  }
  // Within one event, siblings share their ancestors' answer: each element is tested once.
  const path: Element[] = [];
  let current: Element | null = element;
  let marker: Marker = 'none';
  while (current) {
    const known = cache.get(current);
    if (known !== undefined) {
      marker = known;
      break;
    }
    path.push(current);
    if (current.matches(privacy.markerSelector)) {
      marker = current.matches(privacy.maskSelector) ? 'mask' : 'unmask';
      break;
    }
    current = composedParent(current);
  }
  for (const visited of path) {
    cache.set(visited, marker);
  }
  return marker;
}

const PROTECTED_AUTOCOMPLETE = /(^|\s)(cc-|current-password|new-password|one-time-code)/;

/** True for fields that are masked whatever the markers and the preset say. */
function isNeverUnmaskable(element: Element, privacy: CompiledPrivacy): boolean {
  const type = (element.getAttribute('type') ?? '').toLowerCase();
  if (type === 'password' || element.hasAttribute('data-rr-is-password')) {
    return true;
  }
  if (PROTECTED_AUTOCOMPLETE.test(element.getAttribute('autocomplete') ?? '')) {
    return true;
  }
  return (
    privacy.alwaysMaskSelector !== undefined && composedClosest(element, privacy.alwaysMaskSelector) !== null
  );
}

function presetTextRule(preset: PrivacyPreset): TextRule {
  switch (preset) {
    case 'strict':
      return 'mask';
    case 'balanced':
      return 'sensitive';
    case 'relaxed':
      return 'clear';
    default:
      return preset satisfies never;
  }
}

/** How the text of (and under) an element is recorded. */
function textRuleFor(element: Element | null, privacy: CompiledPrivacy): TextRule {
  if (!element) {
    return presetTextRule(privacy.preset);
  }
  if (privacy.alwaysMaskSelector !== undefined && composedClosest(element, privacy.alwaysMaskSelector)) {
    return 'mask';
  }
  const marker = nearestMarker(element, privacy);
  switch (marker) {
    case 'mask':
      return 'mask';
    case 'unmask':
      return 'clear';
    case 'none':
      return presetTextRule(privacy.preset);
    default:
      return marker satisfies never;
  }
}

/** Whether an input's value (or a button's) is masked. */
function isInputMasked(element: Element, privacy: CompiledPrivacy): boolean {
  if (isNeverUnmaskable(element, privacy)) {
    return true;
  }
  const marker = nearestMarker(element, privacy);
  if (marker !== 'none') {
    return marker === 'mask';
  }
  return privacy.preset !== 'relaxed';
}

/** The subset of rrweb's record options that carries replaykit's privacy rules. */
export interface RrwebPrivacyOptions {
  maskAllInputs: true;
  maskInputFn: (text: string, element: HTMLElement) => string;
  maskTextSelector: string;
  maskTextFn: (text: string, element: HTMLElement | null) => string;
  blockSelector: string;
  ignoreSelector: string;
}

function rrwebOptions(privacy: CompiledPrivacy): RrwebPrivacyOptions {
  return {
    // Every input reaches maskInputFn, which decides; rrweb only calls it for masked inputs.
    maskAllInputs: true,
    maskInputFn: (text, element) => (isInputMasked(element, privacy) ? maskText(text) : text),
    // Every text node reaches maskTextFn, which decides.
    maskTextSelector: '*',
    maskTextFn: (text, element) => applyTextRule(textRuleFor(element, privacy), text),
    blockSelector: privacy.blockSelector,
    ignoreSelector: privacy.ignoreSelector,
  };
}

/** Replaces each query (and fragment parameter) value for which `shouldRedact` is true. */
function redactQueryValues(url: string, shouldRedact: (value: string) => boolean): string {
  return url.replace(
    /([?&#])([^=&#]*)=([^&#]*)/g,
    (whole, separator: string, name: string, value: string) => {
      let decoded = value;
      if (value.includes('%') || value.includes('+')) {
        try {
          decoded = decodeURIComponent(value.replace(/\+/g, ' '));
        } catch {
          // Keep the raw value: it is only used for matching.
        }
      }
      return decoded === REDACTED || !shouldRedact(decoded)
        ? whole
        : `${separator}${name}=${encodeURIComponent(REDACTED)}`;
    },
  );
}

function redactUrlFor(url: string, rule: TextRule, privacy: CompiledPrivacy): string {
  // Only `name=value` pairs are ever redacted: most URLs (and `#anchor` links) have none.
  if (!url.includes('=')) {
    return url;
  }
  const redacted = redactUrl(url, privacy.queryWords);
  switch (rule) {
    case 'mask':
      return redactQueryValues(redacted, () => true);
    case 'sensitive':
      return redactQueryValues(redacted, (value) => maskSensitiveText(value) !== value);
    case 'clear':
      return redacted;
    default:
      return rule satisfies never;
  }
}

function redactAttribute(name: string, value: string, rule: TextRule, privacy: CompiledPrivacy): string {
  if (name === 'srcset') {
    return value
      .split(',')
      .map((candidate) => {
        const trimmed = candidate.trim();
        const space = trimmed.search(/\s/);
        return space < 0
          ? redactUrlFor(trimmed, rule, privacy)
          : `${redactUrlFor(trimmed.slice(0, space), rule, privacy)}${trimmed.slice(space)}`;
      })
      .join(', ');
  }
  return redactUrlFor(value, rule, privacy);
}

type Attributes = Record<string, unknown>;

/** What an attribute name calls for; names missing from the table are left alone. */
type AttributeKind = 'always' | 'text' | 'url' | 'value';

/** One lookup per attribute instead of one per rule: this runs for every attribute of every snapshot. */
function attributeKinds(privacy: Pick<CompiledPrivacy, 'textAttributes' | 'alwaysMaskedAttributes'>) {
  const kinds = new Map<string, AttributeKind>([['value', 'value']]);
  for (const name of URL_ATTRIBUTES) {
    kinds.set(name, 'url');
  }
  for (const name of privacy.textAttributes) {
    kinds.set(name, 'text');
  }
  // Listed last: a name the host always masks wins over every other rule.
  for (const name of privacy.alwaysMaskedAttributes) {
    kinds.set(name, 'always');
  }
  return kinds;
}

/**
 * Masks the attributes of one element in place. The live element (found through rrweb's
 * mirror by `id`) gives markers and selectors; when the mirror no longer knows it, the
 * strictest rule applies. It and its rule are looked up only when an attribute needs them:
 * most elements carry nothing to mask, and most URLs have no query.
 */
function processAttributes(
  attributes: Attributes,
  tagName: string | undefined,
  id: number | undefined,
  privacy: CompiledPrivacy,
): void {
  let element: Element | null | undefined;
  let rule: TextRule | undefined;
  for (const name in attributes) {
    const value = attributes[name];
    if (typeof value !== 'string' || value === '') {
      continue;
    }
    const lowerName = name.toLowerCase();
    const kind = privacy.attributeKinds.get(lowerName);
    if (kind === undefined || (kind === 'url' && !value.includes('='))) {
      continue;
    }
    if (kind === 'always') {
      attributes[name] = maskText(value);
      continue;
    }
    if (element === undefined) {
      element = liveElement(id);
    }
    if (kind === 'value') {
      if (
        VALUE_ELEMENTS.has((tagName ?? element?.tagName ?? '').toLowerCase()) &&
        (element ? isInputMasked(element, privacy) : privacy.preset !== 'relaxed')
      ) {
        attributes[name] = maskText(value);
      }
      continue;
    }
    rule ??= element ? textRuleFor(element, privacy) : privacy.preset === 'relaxed' ? 'clear' : 'mask';
    attributes[name] =
      kind === 'text' ? applyTextRule(rule, value) : redactAttribute(lowerName, value, rule, privacy);
  }
}

interface SerializedNode {
  id?: number;
  type?: number;
  tagName?: string;
  attributes?: Attributes;
  childNodes?: SerializedNode[];
}

// rrweb-snapshot's NodeType.Element.
const ELEMENT_NODE = 2;

function liveElement(id: number | undefined): Element | null {
  if (id === undefined) {
    return null;
  }
  const node = record.mirror?.getNode(id) as Node | null | undefined;
  return node && node.nodeType === 1 ? (node as Element) : null;
}

/** Ids of inputs that were ever password or payment fields in this recording. */
type ProtectedIds = Set<number>;

function isProtectedSerialized(attributes: Attributes): boolean {
  const type = typeof attributes.type === 'string' ? attributes.type.toLowerCase() : '';
  const autocomplete = typeof attributes.autocomplete === 'string' ? attributes.autocomplete : '';
  return type === 'password' || PROTECTED_AUTOCOMPLETE.test(autocomplete);
}

function processTree(
  node: SerializedNode | undefined,
  privacy: CompiledPrivacy,
  protectedIds: ProtectedIds,
): void {
  if (!node) {
    return;
  }
  if (node.type === ELEMENT_NODE && node.attributes) {
    const attributes = node.attributes;
    if (node.id !== undefined && isProtectedSerialized(attributes)) {
      protectedIds.add(node.id);
    }
    processAttributes(attributes, node.tagName, node.id, privacy);
  }
  if (node.childNodes) {
    for (const child of node.childNodes) {
      processTree(child, privacy, protectedIds);
    }
  }
}

interface IncrementalData {
  source: number;
  id?: number;
  text?: string;
  adds?: Array<{ node?: SerializedNode }>;
  attributes?: Array<{ id: number; attributes: Attributes }>;
}

function processCustom(event: RecordedEvent, privacy: CompiledPrivacy): RecordedEvent {
  const data = event.data as { tag?: unknown; payload?: unknown } | null;
  const payload = data?.payload as Record<string, unknown> | null | undefined;
  if (!data || !payload || typeof payload !== 'object') {
    return event;
  }
  switch (data.tag) {
    case ReservedEvent.Navigation:
    case ReservedEvent.Network: {
      if (typeof payload.url !== 'string') {
        return event;
      }
      // URLs outside the page follow the preset: strict redacts every query value.
      const url = redactUrlFor(payload.url, presetTextRule(privacy.preset), privacy);
      return url === payload.url ? event : { ...event, data: { ...data, payload: { ...payload, url } } };
    }
    case ReservedEvent.Console: {
      if (!Array.isArray(payload.args)) {
        return event;
      }
      // Console text is page text outside any marker: the preset decides.
      const rule = presetTextRule(privacy.preset);
      const args = payload.args.map((argument) =>
        typeof argument === 'string' ? applyTextRule(rule, argument) : argument,
      );
      return { ...event, data: { ...data, payload: { ...payload, args } } };
    }
    default:
      return event;
  }
}

/**
 * Builds the function every recorded event passes through before it is buffered: the place
 * for the privacy rules rrweb cannot apply itself (attributes and URLs in snapshots and
 * mutations, the page URL in Meta events, URLs and console text in replaykit's own events).
 * It must run synchronously in rrweb's `emit`, while rrweb's mirror still maps ids to the
 * live elements. Snapshot and mutation events are changed in place (they are fresh objects).
 */
export function createEventProcessor(config: PrivacyConfig = {}): (event: RecordedEvent) => RecordedEvent {
  return createPrivacy(config).processEvent;
}

/** Builds the rrweb options that enforce a privacy configuration. */
export function createPrivacyOptions(config: PrivacyConfig = {}): RrwebPrivacyOptions {
  return createPrivacy(config).options;
}

/**
 * The rrweb options and the event processor for one configuration, sharing its compiled
 * form: with both, each element's marker is looked up once per full snapshot instead of
 * once per text node, input and attribute. This is what the recorder uses.
 */
export function createPrivacy(config: PrivacyConfig = {}): {
  options: RrwebPrivacyOptions;
  processEvent: (event: RecordedEvent) => RecordedEvent;
} {
  const privacy = compile(config);
  return { options: rrwebOptions(privacy), processEvent: eventProcessor(privacy) };
}

function eventProcessor(privacy: CompiledPrivacy): (event: RecordedEvent) => RecordedEvent {
  // A password field whose type is switched and typed into in the same task reaches rrweb's
  // input observer before the mutation that marks it `data-rr-is-password`: remember ids.
  const protectedIds: ProtectedIds = new Set();
  const processOne = (event: RecordedEvent): RecordedEvent => {
    if (isMetaEvent(event)) {
      const href = redactUrlFor(event.data.href, presetTextRule(privacy.preset), privacy);
      return { ...event, data: { ...event.data, href } };
    }
    switch (event.type) {
      case EventType.FullSnapshot: {
        processTree((event.data as { node?: SerializedNode }).node, privacy, protectedIds);
        return event;
      }
      case EventType.IncrementalSnapshot: {
        const data = event.data as IncrementalData;
        if (data.source === IncrementalSource.Input) {
          if (data.id !== undefined && protectedIds.has(data.id) && typeof data.text === 'string') {
            return { ...event, data: { ...data, text: maskText(data.text) } };
          }
          return event;
        }
        if (data.source !== IncrementalSource.Mutation) {
          return event;
        }
        for (const added of data.adds ?? []) {
          processTree(added.node, privacy, protectedIds);
        }
        for (const change of data.attributes ?? []) {
          if (isProtectedSerialized(change.attributes)) {
            protectedIds.add(change.id);
          }
          processAttributes(change.attributes, undefined, change.id, privacy);
        }
        return event;
      }
      case EventType.Custom:
        return processCustom(event, privacy);
      default:
        return event;
    }
  };
  return (event) => {
    if (event.type === EventType.Meta) {
      // The cache ends with the FullSnapshot, or at the latest once this task's code has
      // run (should serialization throw): rrweb serializes synchronously, host code cannot
      // run in between.
      const cache = new Map<Element, Marker>();
      privacy.snapshotCache = cache;
      queueMicrotask(() => {
        if (privacy.snapshotCache === cache) {
          privacy.snapshotCache = undefined;
        }
      });
    }
    privacy.processing = true;
    try {
      return processOne(event);
    } finally {
      privacy.processing = false;
      privacy.markerCache = undefined;
      if (event.type === EventType.FullSnapshot) {
        privacy.snapshotCache = undefined;
      }
    }
  };
}
