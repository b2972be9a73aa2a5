/**
 * "Did you mean …?" for a name that is not one of the known ones (an unknown key in an answers
 * file or a request body, a misspelled choice): the known name spelled the same but for case, else
 * the nearest one within two edits (insertions, deletions, substitutions and swaps of neighbours:
 * optimal string alignment), for names long enough that two edits still leave them recognisable.
 */

/** Edits between two strings (optimal string alignment distance), or `limit + 1` as soon as it is known to exceed `limit`. */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prevPrev: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prevPrev[j - 2]! + 1);
      row.push(d);
      best = Math.min(best, d);
    }
    if (best > limit) return limit + 1;
    prevPrev = prev;
    prev = row;
  }
  return prev[b.length]!;
}

/** The known name `word` most likely stands for, if any. */
export function suggest(word: string, known: Iterable<string>): string | undefined {
  const names = [...known];
  const lower = word.toLowerCase();
  const sameButCase = names.find((k) => k.toLowerCase() === lower);
  if (sameButCase !== undefined) return sameButCase;
  // One edit for short names, two from five characters on: "id" is not a typo of "os".
  const limit = lower.length < 3 ? 0 : lower.length < 5 ? 1 : 2;
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const k of names) {
    const d = editDistance(lower, k.toLowerCase(), bestDistance - 1);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}

/** `did you mean "bootImageId"?`, or undefined when nothing is near. */
export function didYouMean(word: string, known: Iterable<string>): string | undefined {
  const s = suggest(word, known);
  return s === undefined ? undefined : `did you mean "${s}"?`;
}
