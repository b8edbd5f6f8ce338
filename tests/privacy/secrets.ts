import type { PrivacyConfig, PrivacyPreset } from '@replaykit/recorder';

/**
 * Which presets promise to hide a secret:
 * - `always`: every preset (passwords, payment, `<Masked>`, `<Blocked>`, `<Ignored>` typing,
 *   always-mask selectors, sensitive query parameters);
 * - `inputs`: `strict` and `balanced` (input values, and text that looks personal);
 * - `strict`: only `strict` (ordinary text, attributes, media, query values).
 */
export type SecretScope = 'always' | 'inputs' | 'strict';

export interface Secret {
  /** The exact string planted in the page (or typed, logged, requested). */
  value: string;
  scope: SecretScope;
  /** Where it lives, for failure messages. */
  where: string;
}

const HIDDEN_BY: Record<SecretScope, readonly PrivacyPreset[]> = {
  always: ['strict', 'balanced', 'relaxed'],
  inputs: ['strict', 'balanced'],
  strict: ['strict'],
};

/** True when `preset` promises that `secret` never leaves the browser. */
export function isHiddenBy(secret: Secret, preset: PrivacyPreset): boolean {
  return HIDDEN_BY[secret.scope].includes(preset);
}

/** Every planted secret. Letters and dashes only (or one personal-looking shape), so a match is never chance. */
export const SECRETS = {
  // Page and navigation URLs.
  pageVoucher: {
    value: 'kiwi-voucher-page',
    scope: 'always',
    where: 'page URL ?voucher= (host-added parameter)',
  },
  pageCode: { value: 'lynx-code-page', scope: 'always', where: 'page URL ?code=' },
  navigationToken: { value: 'mole-reset-token', scope: 'always', where: 'pushState URL ?reset_token=' },
  networkToken: { value: 'newt-access-token', scope: 'always', where: 'fetch URL ?access_token=' },
  // Passwords and payment, never unmaskable (some inside <Unmasked>).
  typedPassword: { value: 'otter-typed-password', scope: 'always', where: 'typed password input' },
  switchedPassword: {
    value: 'panda-switched-password',
    scope: 'always',
    where: 'password field switched to text',
  },
  autofilledPassword: { value: 'quail-autofilled-password', scope: 'always', where: 'autofilled password' },
  unmaskedPassword: {
    value: 'raven-unmasked-password',
    scope: 'always',
    where: 'password inside <Unmasked>',
  },
  cardNumber: {
    value: 'seal-card-number',
    scope: 'always',
    where: 'autocomplete=cc-number input inside <Unmasked>',
  },
  alwaysMasked: {
    value: 'tapir-account-number',
    scope: 'always',
    where: 'host alwaysMaskSelectors inside <Unmasked>',
  },
  // Markers.
  maskedText: { value: 'urchin-masked-text', scope: 'always', where: '<Masked> text' },
  maskedTyped: { value: 'viper-masked-typed', scope: 'always', where: 'typed into an input inside <Masked>' },
  maskedPlaceholder: {
    value: 'walrus-masked-placeholder',
    scope: 'always',
    where: 'placeholder inside <Masked>',
  },
  maskedInsideUnmasked: { value: 'yak-nested-masked', scope: 'always', where: '<Masked> inside <Unmasked>' },
  plainMarkupMask: { value: 'zebra-markup-mask', scope: 'always', where: 'data-rk-mask on plain markup' },
  blockedText: { value: 'albatross-blocked', scope: 'always', where: '<Blocked> content' },
  ignoredTyped: {
    value: 'bison-ignored-typed',
    scope: 'always',
    where: 'typed into an input inside <Ignored>',
  },
  lateMasked: { value: 'camel-late-masked', scope: 'always', where: 'text added later inside <Masked>' },
  lateMaskedTitle: { value: 'dingo-late-title', scope: 'always', where: 'title set later inside <Masked>' },
  shadowMasked: { value: 'eagle-shadow-masked', scope: 'always', where: 'shadow DOM inside <Masked>' },
  frameMasked: { value: 'ferret-frame-masked', scope: 'always', where: 'same-origin iframe inside <Masked>' },
  // Sensitive query parameters in attributes.
  linkToken: { value: 'gecko-link-token', scope: 'always', where: 'link href ?token=' },
  imageKey: { value: 'heron-image-key', scope: 'always', where: 'image src ?api_key=' },
  formSession: { value: 'ibis-form-session', scope: 'always', where: 'form action ?session=' },
  // Inputs (masked by strict and balanced).
  typedText: { value: 'jackal-typed-text', scope: 'inputs', where: 'typed text input' },
  typedEmail: { value: 'koala.typed@example.org', scope: 'inputs', where: 'typed email input' },
  typedTel: { value: '+44 20 7946 0958', scope: 'inputs', where: 'typed tel input' },
  typedNumber: { value: '7306.25', scope: 'inputs', where: 'typed number input' },
  typedUrl: { value: 'https://lemur.example/typed', scope: 'inputs', where: 'typed url input' },
  typedSearch: { value: 'mongoose-typed-search', scope: 'inputs', where: 'typed search input' },
  typedDate: { value: '1987-06-05', scope: 'inputs', where: 'date input' },
  typedTextarea: { value: 'narwhal-typed-textarea', scope: 'inputs', where: 'typed textarea' },
  selectChoice: { value: 'ocelot-select-choice', scope: 'inputs', where: 'chosen select value' },
  autofilledEmail: { value: 'puma.autofill@example.org', scope: 'inputs', where: 'autofilled email' },
  initialValue: {
    value: 'quokka-initial-value',
    scope: 'inputs',
    where: 'input value in the first snapshot',
  },
  hiddenValue: { value: 'rhino-hidden-value', scope: 'inputs', where: 'hidden input value' },
  buttonValue: { value: 'salmon-button-value', scope: 'inputs', where: 'button value attribute' },
  plainEmail: { value: 'toucan.plain@example.org', scope: 'inputs', where: 'email in plain text' },
  plainCard: { value: '4000 0566 5566 5556', scope: 'inputs', where: 'card number in plain text' },
  editableEmail: {
    value: 'uakari.editable@example.org',
    scope: 'inputs',
    where: 'email typed into contenteditable',
  },
  consoleEmail: {
    value: 'vulture.console@example.org',
    scope: 'inputs',
    where: 'email in a console message',
  },
  // Strict only.
  plainText: { value: 'wombat-plain-text', scope: 'strict', where: 'plain paragraph' },
  editableText: { value: 'xerus-editable-text', scope: 'strict', where: 'typed into contenteditable' },
  placeholder: { value: 'yabby-placeholder', scope: 'strict', where: 'placeholder attribute' },
  title: { value: 'zorilla-title', scope: 'strict', where: 'title attribute' },
  ariaLabel: { value: 'addax-aria-label', scope: 'strict', where: 'aria-label attribute' },
  alt: { value: 'bongo-alt-text', scope: 'strict', where: 'image alt' },
  linkQuery: { value: 'civet-link-query', scope: 'strict', where: 'link href query value' },
  imageQuery: { value: 'dhole-image-query', scope: 'strict', where: 'image src query value' },
  lateText: { value: 'eland-late-text', scope: 'strict', where: 'text added later' },
  lateTitle: { value: 'fossa-late-title', scope: 'strict', where: 'title set later' },
  shadowText: { value: 'gibbon-shadow-text', scope: 'strict', where: 'shadow DOM text' },
  frameText: { value: 'hyena-frame-text', scope: 'strict', where: 'same-origin iframe text' },
  consoleText: { value: 'impala-console-text', scope: 'strict', where: 'console message' },
  pageQuery: { value: 'jerboa-page-query', scope: 'strict', where: 'page URL query value (Meta href)' },
  navigationQuery: { value: 'kinkajou-nav-query', scope: 'strict', where: 'pushState URL query value' },
  networkQuery: { value: 'lemming-net-query', scope: 'strict', where: 'fetch URL query value' },
} satisfies Record<string, Secret>;

/** Content that `<Unmasked>` promises to record in clear under every preset. */
export const UNMASKED = {
  text: 'jaguar-unmasked-visible',
  typed: 'kudu-unmasked-typed',
} as const;

/** What the fixture page is told by the test (through `window.__PRIVACY_FIXTURE__`). */
export interface FixtureConfig {
  endpoint: string;
  writeKey: string;
  preset: PrivacyPreset;
}

/** The host's own privacy settings on top of the preset. */
export function fixturePrivacy(preset: PrivacyPreset): PrivacyConfig {
  return { preset, alwaysMaskSelectors: ['.account-number'], sensitiveQueryParams: ['voucher'] };
}
