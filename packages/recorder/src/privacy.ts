import { isMetaEvent, type RecordedEvent, ReservedEvent, redactUrl } from '@replaykit/core';
import { PRIVACY_ATTRIBUTES } from './attributes';
import { checkList, PRIVACY_PRESETS, presetIndex } from './privacy-check';
import { record } from './vendor/rrweb-record.js';

/**
 * Privacy rules applied in the browser, before anything is buffered or sent. rrweb has no
 * "unmask", so every text node and every input goes through one decision: passwords and
 * payment fields are masked whatever the markers say, then the nearest privacy marker wins
 * (`data-rk-mask` inside `data-rk-unmask` masks), then the preset decides. rrweb never masks
 * attributes or URLs, so the event processor applies the same decision to them.
 */

export { PRIVACY_ATTRIBUTES, PRIVACY_PRESETS };

/**
 * What each preset hides (unmarked content; markers and never-unmaskable fields apply on top):
 *
 * | preset | text | inputs | attributes¹ | URL query values | media² |
 * |---|---|---|---|---|---|
 * | `strict` | all masked | all masked | all masked | all redacted | blocked |
 * | `balanced` (default) | emails, card, phone, id numbers masked | all masked | like text | sensitive names³ and personal-looking values redacted | recorded |
 * | `relaxed` | clear | clear (except passwords, payment) | clear | sensitive names³ redacted | recorded |
 *
 * ¹ `placeholder`, `title`, `alt`, `aria-label`, … ({@link MASKED_TEXT_ATTRIBUTES}), and
 * `value` of elements other than fields, buttons and options (`data`, `li`, `meter`, …);
 * `value` of fields, buttons and options follows the input rule. ² `img`, `picture`,
 * `video`, `canvas`, `iframe`, `object`, `embed`. ³ core's `SENSITIVE_QUERY_WORDS` plus `sensitiveQueryParams`.
 */
export type PrivacyPreset = 'strict' | 'balanced' | 'relaxed';

export interface PrivacyConfig {
  /** Default `balanced`. */
  preset?: PrivacyPreset;
  /** Extra selectors masked like `data-rk-mask`. */
  maskSelectors?: string[];
  /** Extra selectors unmasked like `data-rk-unmask`. */
  unmaskSelectors?: string[];
  /** Extra selectors blocked like `data-rk-block`. */
  blockSelectors?: string[];
  /** Extra selectors whose input events are ignored and whose fields are masked, like `data-rk-ignore`. */
  ignoreSelectors?: string[];
  /** Selectors of inputs and regions that are masked even inside an unmask region. */
  alwaysMaskSelectors?: string[];
  /** Query parameter names redacted in recorded URLs, on top of replaykit's list (`SENSITIVE_QUERY_WORDS`). */
  sensitiveQueryParams?: string[];
  /** Attribute names whose values are always masked, under every preset (e.g. `data-customer-name`). */
  maskAttributes?: string[];
}

/**
 * Attributes whose values are text a person reads or the element's text in machine-readable
 * form (`datetime` of `<time>`, `aria-valuenow`), or name a file saved from the page
 * (`download`): masked like the element's text.
 */
export const MASKED_TEXT_ATTRIBUTES: readonly string[] =
  'placeholder title alt aria-label aria-description aria-placeholder aria-valuetext aria-valuenow aria-roledescription aria-braillelabel aria-brailleroledescription label abbr summary datetime download'.split(
    ' ',
  );

/**
 * Attributes that hold a URL (or, for `srcset`, a list of them); `rr_src` is rrweb's name
 * for the src of an iframe it did not load.
 */
const URL_ATTRIBUTES = 'href src srcset action formaction poster cite data background ping xlink:href rr_src';

/**
 * URLs that are text rather than a place with a query: the person's contact itself
 * (`mailto:jane@example.com`, `tel:+1555…`), and `data:` URLs other than images, which hold
 * their content (`data:text/csv,…` of an export link). The part after the scheme is text.
 * Inline images keep their pixels, so they still show in the replay.
 */
const TEXT_URL = /^(mailto|tel|sms|callto|data(?!:image\/)):/i;

/**
 * Whether redacting `url` (`redactUrlFor`) may change it: only `name=value` pairs and the
 * text of a {@link TEXT_URL} are ever redacted, and most URLs (and `#anchor` links) have neither,
 * so attributes without either are passed over before their element's rule is looked up.
 */
function mayRedactUrl(url: string): boolean {
  return url.includes('=') || TEXT_URL.test(url);
}

/** Elements whose `value` attribute is something a person typed or chose. */
const VALUE_ELEMENTS = /^(input|textarea|select|option|button)$/i;

/** Media the `strict` preset replaces by empty boxes. */
const STRICT_BLOCKED_MEDIA = 'img, picture, video, canvas, iframe, object, embed';

/** Replaces every non-space character with `*`, keeping the text's shape. */
export function maskText(text: string): string {
  return text.replace(/\S/g, '*');
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
    if (code === 64 /* @ */ || (code >= 48 && code <= 57 && ++digits >= SENSITIVE_MIN_DIGITS)) {
      return true;
    }
  }
  return false;
}

/** Masks the parts of a text that look like personal data (emails, cards, phones, ids). */
export function maskSensitiveText(text: string): string {
  return mayBeSensitive(text)
    ? SENSITIVE_TEXT_PATTERNS.reduce((result, pattern) => result.replace(pattern, maskText), text)
    : text;
}

/**
 * What happens to a piece of text: masked whole, only its personal-looking parts, or
 * nothing. The values are the presets' indexes in {@link PRIVACY_PRESETS}, so a preset is
 * its own text rule.
 */
const MASK = 0;
const SENSITIVE = 1;
const CLEAR = 2;
type TextRule = typeof MASK | typeof SENSITIVE | typeof CLEAR;

/** No privacy marker above an element (a marker is MASK or CLEAR, for unmask). */
const NONE = 3;
type Marker = typeof MASK | typeof CLEAR | typeof NONE;

const applyTextRule = (rule: TextRule, text: string): string =>
  rule === MASK ? maskText(text) : rule === SENSITIVE ? maskSensitiveText(text) : text;

/** What an attribute name calls for; names missing from the table are left alone. */
const ALWAYS = 0;
const TEXT = 1;
const URL_VALUE = 2;
const VALUE = 3;
const DROP = 4;
type AttributeKind = typeof ALWAYS | typeof TEXT | typeof URL_VALUE | typeof VALUE | typeof DROP;

/**
 * Where `closest()` continues once it reaches the top of an element's tree: the host of a
 * shadow root, or the `<iframe>` of a same-origin frame, so a `<Masked>` around either
 * covers what is inside.
 */
function outOfTree(element: Element): Element | null {
  const root = element.getRootNode() as Node & { host?: Element };
  return root !== element.ownerDocument && root.host
    ? root.host
    : // The top document has no frame element; asking for it costs a security check.
      root === globalThis.document
      ? null
      : (element.ownerDocument?.defaultView?.frameElement ?? null);
}

/** `closest()` that also climbs out of shadow roots and same-origin iframes. */
function composedClosest(element: Element, selector: string): Element | null {
  let current: Element | null = element;
  while (current) {
    const found = current.closest(selector);
    if (found) {
      return found;
    }
    current = outOfTree(current);
  }
  return null;
}

/**
 * The live element rrweb's mirror knows by `id` (events carry ids, not nodes), or null: not
 * an element, or a node rrweb never serialized (id -1).
 */
export function elementOf(id: number | undefined): Element | null {
  const node = record.mirror.getNode(id as number);
  return node?.nodeType === 1 ? (node as Element) : null;
}

// Autofill tokens are ASCII case-insensitive: browsers fill `CC-Number` as a card number.
const PROTECTED_AUTOCOMPLETE = /(^|\s)(cc-|current-password|new-password|one-time-code)/i;

/** The subset of rrweb's record options that carries replaykit's privacy rules. */
export interface RrwebPrivacyOptions {
  maskAllInputs: true;
  maskInputFn: (text: string, element: HTMLElement) => string;
  maskTextSelector: string;
  maskTextFn: (text: string, element: HTMLElement | null) => string;
  blockSelector: string;
  ignoreSelector: string;
}

type Attributes = Record<string, unknown>;

interface SerializedNode {
  id?: number;
  type?: number;
  tagName?: string;
  attributes?: Attributes;
  childNodes?: SerializedNode[];
  textContent?: string;
  /** Set by rrweb on the children of a shadow root. */
  isShadow?: boolean;
}

/** True for the `type` and `autocomplete` (attributes, serialized or live) of a password or payment field. */
function isProtectedField(type: unknown, autocomplete: unknown): boolean {
  return (
    (typeof type === 'string' && type.toLowerCase() === 'password') ||
    (typeof autocomplete === 'string' && PROTECTED_AUTOCOMPLETE.test(autocomplete))
  );
}

interface IncrementalData {
  source: number;
  id?: number;
  text?: string;
  adds?: Array<{ node?: SerializedNode }>;
  texts?: Array<{ id: number; value: unknown }>;
  attributes?: Array<{ id: number; attributes: Attributes }>;
  node?: SerializedNode;
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

// rrweb's wire values (core's EventType and IncrementalSource; rrweb-snapshot's element
// node type) as plain numbers, which the minifier inlines.
const FULL_SNAPSHOT = 2;
const INCREMENTAL_SNAPSHOT = 3;
const META = 4;
const CUSTOM = 5;
const SOURCE_MUTATION = 0;
const SOURCE_INPUT = 5;
const ELEMENT_NODE = 2;
const COMMENT_NODE = 5;

/**
 * The rrweb options and the event processor for one configuration, sharing its compiled
 * form: with both, each element's marker is looked up once per full snapshot instead of
 * once per text node, input and attribute. This is what the recorder uses.
 */
export function createPrivacy(config: PrivacyConfig = {}): {
  options: RrwebPrivacyOptions;
  processEvent: (event: RecordedEvent) => RecordedEvent;
} {
  const preset = config.preset ?? 'balanced';
  /** The preset's rule for unmarked text. */
  const rule = presetIndex(preset) as TextRule;
  const selectors = (marker: string, name: keyof PrivacyConfig & `${string}Selectors`) =>
    [`[${marker}]`, ...checkList(name, config[name], true)].join(', ');
  const maskSelector = selectors(PRIVACY_ATTRIBUTES.mask, 'maskSelectors');
  /** Matches an element carrying a mask or unmask marker. */
  const markerSelector = `${maskSelector}, ${selectors(PRIVACY_ATTRIBUTES.unmask, 'unmaskSelectors')}`;
  /**
   * `element.matches(selector)`, as attribute tests while the selector is only the markers'
   * `[name]`s (no host selectors): a snapshot tests every element, and `hasAttribute` costs a
   * fraction of `matches` (10,000 elements: about 1 ms against 5 in Chromium).
   */
  const matcher = (selector: string): ((element: Element) => boolean) => {
    const names = selector.split(', ').map((part) => /^\[([\w-]+)\]$/.exec(part)?.[1]);
    return names.every(Boolean)
      ? (element) => names.some((name) => element.hasAttribute(name as string))
      : (element) => element.matches(selector);
  };
  const isMarked = matcher(markerSelector);
  const isMaskMarker = matcher(maskSelector);
  const ignoreSelector = selectors(PRIVACY_ATTRIBUTES.ignore, 'ignoreSelectors');
  const alwaysMaskSelector = checkList('alwaysMaskSelectors', config.alwaysMaskSelectors, true).join(', ');
  /** One lookup per attribute instead of one per rule: this runs for every attribute of every snapshot. */
  const attributeKinds = new Map<string, AttributeKind>([['value', VALUE]]);
  for (const name of URL_ATTRIBUTES.split(' ')) {
    attributeKinds.set(name, URL_VALUE);
  }
  for (const name of MASKED_TEXT_ATTRIBUTES) {
    attributeKinds.set(name, TEXT);
  }
  // Set last: a name the host always masks wins over every other rule.
  for (const name of checkList('maskAttributes', config.maskAttributes, false)) {
    attributeKinds.set(name.trim().toLowerCase(), ALWAYS);
  }
  // An iframe's `srcdoc` is the frame's whole HTML as written: its text, its field values,
  // what its markers block. rrweb records that document itself, element by element, under
  // these rules; the attribute would carry it past them, so it is never sent.
  attributeKinds.set('srcdoc', DROP);
  const queryWords = config.sensitiveQueryParams ?? [];
  /** True while the processor handles one event: markers cannot change meanwhile. */
  let processing = false;
  /** The processor's cache for the event it handles. */
  let markerCache: Map<Element, Marker> | undefined;
  /**
   * Set from a Meta event to its FullSnapshot: rrweb serializes the whole page in between,
   * synchronously, so markers cannot change and each element is tested once for the whole
   * snapshot (text and inputs during serialization, then attributes in the processor).
   */
  let snapshotCache: Map<Element, Marker> | undefined;
  /**
   * Set with the snapshot cache when no element of the top document carries a marker (the
   * common page: markers are few or none). Its elements then need no walk at all, which
   * matters because a snapshot asks once per text node, before the first snapshot is done;
   * elements in shadow trees and frames, which the document's query cannot see, still walk.
   */
  let snapshotUnmarked = false;
  // A password field whose type is switched and typed into in the same task reaches rrweb's
  // input observer before the mutation that marks it `data-rr-is-password`: remember ids.
  const protectedIds = new Set<number>();

  const nearestMarker = (element: Element): Marker => {
    let cache = markerCache ?? snapshotCache;
    if (!cache && processing) {
      // Made on first need: most events (mouse moves, scrolls) never ask for a marker.
      cache = markerCache = new Map();
    }
    if (!cache) {
      const marked = composedClosest(element, markerSelector);
      return marked ? (marked.matches(maskSelector) ? MASK : CLEAR) : NONE;
    }
    if (snapshotUnmarked && cache === snapshotCache && element.getRootNode() === document) {
      return NONE;
    }
    // Siblings share their ancestors' answer: each element is tested once per cache.
    const path: Element[] = [];
    let current: Element | null = element;
    let marker: Marker = NONE;
    while (current) {
      const known = cache.get(current);
      if (known !== undefined) {
        marker = known;
        break;
      }
      path.push(current);
      if (isMarked(current)) {
        marker = isMaskMarker(current) ? MASK : CLEAR;
        break;
      }
      current = current.parentElement ?? outOfTree(current);
    }
    for (const visited of path) {
      cache.set(visited, marker);
    }
    return marker;
  };

  const isAlwaysMasked = (element: Element) =>
    alwaysMaskSelector !== '' && composedClosest(element, alwaysMaskSelector) !== null;

  /** How the text of (and under) an element is recorded. */
  const textRuleFor = (element: Element | null): TextRule => {
    if (!element) {
      return rule;
    }
    if (isAlwaysMasked(element)) {
      return MASK;
    }
    const marker = nearestMarker(element);
    return marker === NONE ? rule : marker;
  };

  /**
   * Whether an input's value (or a button's) is masked: passwords, payment fields and fields
   * of ignored regions always are (their typing would otherwise show in later snapshots, in a
   * value attribute the page keeps in step, and in shadow roots, which rrweb's ignore
   * selector does not reach).
   */
  const isInputMasked = (element: Element): boolean => {
    if (
      isProtectedField(element.getAttribute('type'), element.getAttribute('autocomplete')) ||
      element.hasAttribute('data-rr-is-password') ||
      isAlwaysMasked(element) ||
      composedClosest(element, ignoreSelector)
    ) {
      return true;
    }
    const marker = nearestMarker(element);
    return marker === NONE ? rule !== CLEAR : marker === MASK;
  };

  /**
   * Redacts a URL's query: sensitive names always, then values as the text rule says. What
   * follows the scheme of a {@link TEXT_URL} (`mailto:`, `tel:`, `data:text/…`) is text,
   * decoded: the rule applies to it whole.
   */
  const redactUrlFor = (url: string, urlRule: TextRule): string =>
    TEXT_URL.test(url)
      ? url.replace(/:(.*)/s, (_, address: string) => {
          // Looked at as the page meant it, as query values are: an export link built with
          // encodeURIComponent writes an email's @ as %40. Kept as written if nothing is masked.
          let text = address;
          try {
            text = decodeURIComponent(address);
          } catch {
            // Not valid encoding: the text as it is.
          }
          const masked = applyTextRule(urlRule, text);
          return `:${masked === text ? address : urlRule === MASK ? maskText(address) : encodeURI(masked)}`;
        })
      : url.includes('=')
        ? redactUrl(
            url,
            queryWords,
            urlRule === CLEAR ? undefined : (value) => urlRule === MASK || maskSensitiveText(value) !== value,
          )
        : url;

  /**
   * Masks the attributes of one element in place. The live element (found through rrweb's
   * mirror by `id`) gives markers and selectors; when the mirror no longer knows it, the
   * strictest rule applies. It and its rule are looked up only when an attribute needs them:
   * most elements carry nothing to mask, and most URLs have no query.
   */
  const processAttributes = (attributes: Attributes, tagName: string | undefined, id: number | undefined) => {
    if (id !== undefined && isProtectedField(attributes.type, attributes.autocomplete)) {
      protectedIds.add(id);
    }
    let element: Element | null | undefined;
    let elementRule: TextRule | undefined;
    for (const name in attributes) {
      const value = attributes[name];
      if (typeof value !== 'string' || value === '') {
        continue;
      }
      const lowerName = name.toLowerCase();
      const kind = attributeKinds.get(lowerName);
      if (kind === undefined || (kind === URL_VALUE && !mayRedactUrl(value))) {
        continue;
      }
      if (kind === DROP) {
        delete attributes[name];
        continue;
      }
      if (kind === ALWAYS) {
        attributes[name] = maskText(value);
        continue;
      }
      if (element === undefined) {
        element = elementOf(id);
      }
      if (kind === VALUE && VALUE_ELEMENTS.test(tagName ?? element?.tagName ?? '')) {
        if (element ? isInputMasked(element) : rule !== CLEAR) {
          attributes[name] = maskText(value);
        }
        continue;
      }
      // Any other element's `value` (`<data>`, `<li>`, `<meter>`, …) is its text in
      // machine-readable form: the text rule applies to it.
      elementRule ??= element ? textRuleFor(element) : rule === CLEAR ? CLEAR : MASK;
      const textRule = elementRule;
      attributes[name] =
        kind !== URL_VALUE
          ? applyTextRule(textRule, value)
          : lowerName === 'srcset'
            ? value
                .split(',')
                .map((candidate) => {
                  // Each candidate is a URL, then an optional size descriptor.
                  const [url = '', ...descriptor] = candidate.trim().split(/(?=\s)/);
                  return redactUrlFor(url, textRule) + descriptor.join('');
                })
                .join(', ')
            : redactUrlFor(value, textRule);
    }
  };

  /**
   * The text rrweb leaves as it is: comments (it never masks them in a snapshot), and text
   * whose parent is a shadow root (a web component's `Hello, ${name}`), which it masks only
   * through a parent element. The rule of the parent element, or of the shadow root's host,
   * applies here.
   */
  const looseText = <T>(id: number | undefined, text: T): T | string => {
    const node = record.mirror.getNode(id as number);
    const parent = node?.parentNode as (Node & { host?: Element }) | null | undefined;
    return typeof text === 'string' && (node?.nodeType === 8 || parent?.nodeType === 11)
      ? applyTextRule(
          textRuleFor(parent?.nodeType === 1 ? (parent as Element) : (parent?.host ?? null)),
          text,
        )
      : text;
  };

  const processTree = (node: SerializedNode | undefined): void => {
    if (node?.type === ELEMENT_NODE && node.attributes) {
      processAttributes(node.attributes, node.tagName, node.id);
    } else if (node?.isShadow || node?.type === COMMENT_NODE) {
      node.textContent = looseText(node.id, node.textContent);
    }
    node?.childNodes?.forEach(processTree);
  };

  const processCustom = (event: RecordedEvent): RecordedEvent => {
    const data = event.data as { tag?: unknown; payload?: unknown } | null;
    const payload = data?.payload as Record<string, unknown> | null | undefined;
    if (!payload || typeof payload !== 'object') {
      return event;
    }
    const { url, args } = payload;
    const changed = (change: Record<string, unknown>) => ({
      ...event,
      data: { ...data, payload: { ...payload, ...change } },
    });
    switch (data?.tag) {
      case ReservedEvent.Navigation:
      case ReservedEvent.Network: {
        // URLs outside the page follow the preset: strict redacts every query value.
        const redacted = typeof url === 'string' ? redactUrlFor(url, rule) : url;
        return redacted === url ? event : changed({ url: redacted });
      }
      case ReservedEvent.Console:
        // Console text is page text outside any marker: the preset decides.
        return Array.isArray(args)
          ? changed({
              args: args.map((argument) =>
                typeof argument === 'string' ? applyTextRule(rule, argument) : argument,
              ),
            })
          : event;
      default:
        return event;
    }
  };

  const processOne = (event: RecordedEvent): RecordedEvent => {
    if (isMetaEvent(event)) {
      return { ...event, data: { ...event.data, href: redactUrlFor(event.data.href, rule) } };
    }
    const data = event.data as IncrementalData;
    switch (event.type) {
      case FULL_SNAPSHOT:
        processTree(data.node);
        return event;
      case INCREMENTAL_SNAPSHOT:
        if (data.source === SOURCE_INPUT) {
          // rrweb masks typed text only: the value of a checked radio button or checkbox
          // comes as it is, and so does what is typed into a field it never serialized
          // (id -1: inside a shadow root under a blocked element), so the rule is applied here.
          const element = elementOf(data.id);
          return typeof data.text === 'string' &&
            (protectedIds.has(data.id as number) || !element || isInputMasked(element))
            ? { ...event, data: { ...data, text: maskText(data.text) } }
            : event;
        }
        if (data.source === SOURCE_MUTATION) {
          for (const added of data.adds ?? []) {
            processTree(added.node);
          }
          for (const change of data.attributes ?? []) {
            processAttributes(change.attributes, undefined, change.id);
          }
          for (const change of data.texts ?? []) {
            change.value = looseText(change.id, change.value);
          }
        }
        return event;
      case CUSTOM:
        return processCustom(event);
      default:
        return event;
    }
  };

  return {
    options: {
      // Every input reaches maskInputFn, which decides; rrweb only calls it for masked inputs.
      maskAllInputs: true,
      maskInputFn: (text, element) => (isInputMasked(element) ? maskText(text) : text),
      // Every text node reaches maskTextFn, which decides.
      maskTextSelector: '*',
      maskTextFn: (text, element) => applyTextRule(textRuleFor(element), text),
      blockSelector: [
        selectors(PRIVACY_ATTRIBUTES.block, 'blockSelectors'),
        ...(rule === MASK ? [STRICT_BLOCKED_MEDIA] : []),
      ].join(', '),
      // rrweb matches ignoreSelector against the input itself, not its ancestors: a wrapper
      // covers the fields inside it only through a descendant selector.
      ignoreSelector: `${ignoreSelector}, :is(${ignoreSelector}) *`,
    },
    processEvent(event) {
      if (event.type === META) {
        // The cache ends with the FullSnapshot, or at the latest once this task's code has
        // run (should serialization throw): rrweb serializes synchronously, host code cannot
        // run in between.
        const cache = new Map<Element, Marker>();
        snapshotCache = cache;
        // Outside a browser (events processed elsewhere), every element walks.
        snapshotUnmarked = typeof document !== 'undefined' && document.querySelector(markerSelector) === null;
        queueMicrotask(() => {
          if (snapshotCache === cache) {
            snapshotCache = undefined;
          }
        });
      }
      processing = true;
      try {
        return processOne(event);
      } finally {
        processing = false;
        markerCache = undefined;
        if (event.type === FULL_SNAPSHOT) {
          snapshotCache = undefined;
        }
      }
    },
  };
}
