import { isMetaEvent, type RecordedEvent, redactUrl } from '@replaykit/core';

/**
 * Privacy rules applied in the browser, before anything is sent. rrweb has no "unmask", so
 * every text node and every input goes through one decision function: the nearest privacy
 * marker wins (`data-rk-mask` inside `data-rk-unmask` masks), then the preset decides, and
 * passwords and payment fields are masked whatever the markers say.
 */

/** Data attributes that the React wrappers set and that plain markup can use directly. */
export const PRIVACY_ATTRIBUTES = {
  mask: 'data-rk-mask',
  unmask: 'data-rk-unmask',
  block: 'data-rk-block',
  ignore: 'data-rk-ignore',
} as const;

/**
 * - `strict`: all text and all inputs masked (unless inside `data-rk-unmask`).
 * - `balanced` (default): all inputs masked; text that looks like an email, card number,
 *   phone number or national id masked; `data-rk-mask` text masked.
 * - `relaxed`: only passwords, payment fields and `data-rk-mask` regions masked.
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
  /** Extra selectors whose input events are ignored, like `data-rk-ignore`. */
  ignoreSelectors?: string[];
  /** Selectors of inputs and regions that are masked even inside an unmask region. */
  alwaysMaskSelectors?: string[];
  /** Query parameter names redacted in recorded URLs, on top of replaykit's list (`SENSITIVE_QUERY_WORDS`). */
  sensitiveQueryParams?: string[];
}

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

/** Masks the parts of a text that look like personal data (emails, cards, phones, ids). */
export function maskSensitiveText(text: string): string {
  let result = text;
  for (const pattern of SENSITIVE_TEXT_PATTERNS) {
    result = result.replace(pattern, (match) => maskText(match));
  }
  return result;
}

interface CompiledPrivacy {
  preset: PrivacyPreset;
  /** Matches an element carrying a mask or unmask marker. */
  markerSelector: string;
  maskSelector: string;
  alwaysMaskSelector: string | undefined;
  blockSelector: string;
  ignoreSelector: string;
}

function joinSelectors(defaultSelector: string, extra: string[] | undefined): string {
  return [defaultSelector, ...(extra ?? [])].join(', ');
}

function compile(config: PrivacyConfig): CompiledPrivacy {
  const maskSelector = joinSelectors(`[${PRIVACY_ATTRIBUTES.mask}]`, config.maskSelectors);
  const unmaskSelector = joinSelectors(`[${PRIVACY_ATTRIBUTES.unmask}]`, config.unmaskSelectors);
  return {
    preset: config.preset ?? 'balanced',
    markerSelector: `${maskSelector}, ${unmaskSelector}`,
    maskSelector,
    alwaysMaskSelector: config.alwaysMaskSelectors?.length
      ? config.alwaysMaskSelectors.join(', ')
      : undefined,
    blockSelector: joinSelectors(`[${PRIVACY_ATTRIBUTES.block}]`, config.blockSelectors),
    ignoreSelector: joinSelectors(`[${PRIVACY_ATTRIBUTES.ignore}]`, config.ignoreSelectors),
  };
}

type Marker = 'mask' | 'unmask' | 'none';

function nearestMarker(element: Element | null, privacy: CompiledPrivacy): Marker {
  const marked = element?.closest(privacy.markerSelector);
  if (!marked) {
    return 'none';
  }
  return marked.matches(privacy.maskSelector) ? 'mask' : 'unmask';
}

const PAYMENT_AUTOCOMPLETE = /(^|\s)cc-/;

/** True for fields that are masked whatever the markers and the preset say. */
function isNeverUnmaskable(element: Element, privacy: CompiledPrivacy): boolean {
  const type = (element.getAttribute('type') ?? '').toLowerCase();
  if (type === 'password' || element.hasAttribute('data-rr-is-password')) {
    return true;
  }
  if (PAYMENT_AUTOCOMPLETE.test(element.getAttribute('autocomplete') ?? '')) {
    return true;
  }
  return privacy.alwaysMaskSelector !== undefined && element.closest(privacy.alwaysMaskSelector) !== null;
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

/** Builds the rrweb options that enforce a privacy configuration. */
export function createPrivacyOptions(config: PrivacyConfig = {}): RrwebPrivacyOptions {
  const privacy = compile(config);
  return {
    // Every input reaches maskInputFn, which decides; rrweb only calls it for masked inputs.
    maskAllInputs: true,
    maskInputFn: (text, element) => {
      if (isNeverUnmaskable(element, privacy)) {
        return maskText(text);
      }
      const marker = nearestMarker(element, privacy);
      if (marker === 'unmask') {
        return text;
      }
      if (marker === 'mask' || privacy.preset !== 'relaxed') {
        return maskText(text);
      }
      return text;
    },
    // Every text node reaches maskTextFn, which decides.
    maskTextSelector: '*',
    maskTextFn: (text, element) => {
      if (
        element &&
        privacy.alwaysMaskSelector !== undefined &&
        element.closest(privacy.alwaysMaskSelector)
      ) {
        return maskText(text);
      }
      const marker = nearestMarker(element, privacy);
      if (marker === 'mask') {
        return maskText(text);
      }
      if (marker === 'unmask') {
        return text;
      }
      switch (privacy.preset) {
        case 'strict':
          return maskText(text);
        case 'balanced':
          return maskSensitiveText(text);
        case 'relaxed':
          return text;
        default:
          return privacy.preset satisfies never;
      }
    },
    blockSelector: privacy.blockSelector,
    ignoreSelector: privacy.ignoreSelector,
  };
}

/**
 * Builds the function every recorded event passes through before it is buffered: the place
 * for the privacy rules rrweb cannot apply itself (URLs in Meta events, attributes).
 */
export function createEventProcessor(config: PrivacyConfig = {}): (event: RecordedEvent) => RecordedEvent {
  const extraWords = config.sensitiveQueryParams ?? [];
  return (event) => {
    if (isMetaEvent(event)) {
      return { ...event, data: { ...event.data, href: redactUrl(event.data.href, extraWords) } };
    }
    return event;
  };
}
