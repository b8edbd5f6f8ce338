import type { PrivacyConfig, PrivacyPreset } from './privacy';

/**
 * The checks of a privacy configuration. They live apart from the privacy rules so that
 * `createRecorder`, in the small up-front entry, can run them without loading the rules.
 */

/** The presets, in order from most to least private. */
export const PRIVACY_PRESETS: readonly PrivacyPreset[] = ['strict', 'balanced', 'relaxed'];

/** The preset's index in {@link PRIVACY_PRESETS}; throws, naming the presets, for an unknown one. */
export function presetIndex(preset: PrivacyPreset): number {
  const index = PRIVACY_PRESETS.indexOf(preset);
  if (index < 0) {
    throw new Error(`Unknown privacy preset "${String(preset)}"; use one of ${PRIVACY_PRESETS.join(', ')}.`);
  }
  return index;
}

/** Checks a list of the configuration, with one message shape for every mistake. */
export function checkList(
  name: string,
  list: string[] | undefined,
  selectors: boolean,
  example = selectors
    ? "CSS selectors, such as ['.customer-name']"
    : "attribute names, such as ['data-customer']",
): string[] {
  const fail = (problem: string) => {
    throw new Error(`privacy.${name} ${problem}; it must be an array of ${example}.`);
  };
  if (list !== undefined && !Array.isArray(list)) {
    fail('is not an array');
  }
  for (const item of list ?? []) {
    if (typeof item !== 'string' || item.trim() === '') {
      fail('has an empty or non-string entry (remove it)');
    }
    // A selector the browser cannot parse would make every closest() call throw mid-recording.
    try {
      if (selectors && typeof document !== 'undefined') {
        document.createDocumentFragment().querySelector(item);
      }
    } catch {
      fail(`has an invalid CSS selector: "${item}" (fix or remove it)`);
    }
  }
  return list ?? [];
}

/** Throws, naming the option to fix, when a privacy configuration cannot be used. */
export function checkPrivacyConfig(config: PrivacyConfig): void {
  presetIndex(config.preset ?? 'balanced');
  for (const name of [
    'maskSelectors',
    'unmaskSelectors',
    'blockSelectors',
    'ignoreSelectors',
    'alwaysMaskSelectors',
  ] as const) {
    checkList(name, config[name], true);
  }
  checkList('maskAttributes', config.maskAttributes, false);
  // A non-string word threw on every URL, so every event became a `$dropped` marker; an
  // empty one is in every parameter name, so every query value was redacted.
  checkList(
    'sensitiveQueryParams',
    config.sensitiveQueryParams,
    false,
    "query parameter names, such as ['voucher']",
  );
}
