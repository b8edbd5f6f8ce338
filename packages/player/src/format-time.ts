const MS_PER_SECOND = 1_000;
const SECONDS_PER_MINUTE = 60;
const SECONDS_PER_HOUR = 3_600;
/** The units of {@link formatDuration} past milliseconds, each with its length in ms. */
const DURATION_UNITS = [
  { unit: 's', ms: MS_PER_SECOND },
  { unit: 'min', ms: SECONDS_PER_MINUTE * MS_PER_SECOND },
  { unit: 'h', ms: SECONDS_PER_HOUR * MS_PER_SECOND },
] as const;
/** Where a unit of {@link DURATION_UNITS} gives way to the next: 60 s, 60 min. */
const DURATION_UNIT_MAX = 60;

/** Formats a duration in ms as `m:ss`, or `h:mm:ss` from one hour up; negative or non-finite input reads `0:00`. */
export function formatTime(ms: number): string {
  const totalSeconds = Number.isFinite(ms) && ms > 0 ? Math.floor(ms / MS_PER_SECOND) : 0;
  const hours = Math.floor(totalSeconds / SECONDS_PER_HOUR);
  const minutes = Math.floor((totalSeconds % SECONDS_PER_HOUR) / SECONDS_PER_MINUTE);
  const seconds = String(totalSeconds % SECONDS_PER_MINUTE).padStart(2, '0');
  if (hours > 0) {
    return `${hours}:${String(minutes).padStart(2, '0')}:${seconds}`;
  }
  return `${minutes}:${seconds}`;
}

/**
 * Formats a duration in ms as DevTools does: whole ms under a second (`850 ms`), else seconds,
 * minutes or hours to a tenth, without a trailing `.0` (`1.2 s`, `30 s`, `2.1 min`, `1.5 h`).
 * Negative or non-finite input reads `0 ms`.
 */
export function formatDuration(ms: number): string {
  const duration = Number.isFinite(ms) && ms > 0 ? ms : 0;
  if (Math.round(duration) < MS_PER_SECOND) {
    return `${Math.round(duration)} ms`;
  }
  // Rounded before the unit is picked, so 59.96 s reads "1 min", not "60 s".
  const tenths = (unitMs: number) => Math.round((duration / unitMs) * 10) / 10;
  let shown: (typeof DURATION_UNITS)[number] = DURATION_UNITS[0];
  for (const unit of DURATION_UNITS) {
    shown = unit;
    if (tenths(unit.ms) < DURATION_UNIT_MAX) {
      break;
    }
  }
  return `${tenths(shown.ms)} ${shown.unit}`;
}
