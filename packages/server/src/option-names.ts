/**
 * Refusing names a function or route does not know, with the closest known one. TypeScript
 * catches an excess property in an object literal, but not in options built elsewhere (read
 * from a file, spread from a variable) or passed from JavaScript: there a misspelt
 * `maxSesions` was ignored without a word, and the quota it meant to set was not set. The
 * read routes refuse unknown query parameters with the same suggestion.
 */

/**
 * The option names of `T`, from an object that must list every one of them and no other (so
 * the list cannot fall behind the type).
 */
export function optionNames<T>(names: Record<keyof T, true>): string[] {
  return Object.keys(names);
}

/** Edit distance (insertions, deletions, substitutions) between two strings, case ignored. */
function editDistance(a: string, b: string): number {
  const left = a.toLowerCase();
  const right = b.toLowerCase();
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let i = 1; i <= left.length; i++) {
    const current = [i];
    for (let j = 1; j <= right.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (left[i - 1] === right[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[right.length] ?? 0;
}

/**
 * The known name `name` most likely meant, if one is close: a different case, or at most a
 * third of its letters different (so `maxSesions` finds `maxSessions`, `port` finds nothing in
 * a list without it).
 */
function closestName(name: string, known: readonly string[]): string | undefined {
  const allowed = Math.max(1, Math.floor(name.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    // The distance is at least the difference in length: a long name (a query parameter can
    // be kilobytes) is not compared letter by letter with names it cannot be near.
    if (Math.abs(name.length - candidate.length) > allowed) {
      continue;
    }
    const distance = editDistance(name, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= allowed ? best : undefined;
}

/** ` (did you mean "x"?)` naming the known name closest to `name`, or nothing when none is close. */
export function didYouMean(name: string, known: readonly string[]): string {
  const closest = closestName(name, known);
  return closest === undefined ? '' : ` (did you mean "${closest}"?)`;
}

/**
 * Throws when `options` has an own key that `known` does not list, naming it, the closest known
 * name and every known one; `where` says whose options they are, such as "limits".
 */
export function checkOptionNames(options: object, known: readonly string[], where: string): void {
  for (const name of Object.keys(options)) {
    if (!known.includes(name)) {
      throw new Error(
        `${where}: unknown option "${name}"${didYouMean(name, known)}; the options are ${known.join(', ')}.`,
      );
    }
  }
}
