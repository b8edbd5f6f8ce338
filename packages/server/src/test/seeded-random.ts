/** A repeatable stream of numbers in [0, 1) from a seed (a linear congruential generator), for randomized tests. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

/** A whole number in [0, below). */
export function randomInt(random: () => number, below: number): number {
  return Math.floor(random() * below);
}
