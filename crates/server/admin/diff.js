// @ts-check
/**
 * A word-level diff for the suggestions inbox: `wordDiff(a, b)` splits both texts into
 * words (a run of Latin letters or digits, one CJK character, a run of spaces, any
 * other single character) and answers the runs that stayed, went and came, by the
 * longest common subsequence. Texts too long for that (more than `MAX_CELLS` word pairs)
 * are answered as all of `a` gone and all of `b` come. No DOM here: suggestions.js draws
 * it. The app has the same algorithm in TypeScript (`ui/src/lib/wordDiff.ts`); its
 * vitest suite checks that both agree (`wordDiff.test.ts`).
 */

/** @typedef {{op: "same" | "del" | "add", text: string}} DiffRun */

/** Most word pairs compared (the table of the LCS). */
export const MAX_CELLS = 400_000;

/**
 * @param {string} text
 * @returns {string[]}
 */
export function words(text) {
  return text.match(/[A-Za-z0-9_]+|\s+|[\s\S]/gu) ?? [];
}

/**
 * @param {DiffRun[]} runs
 * @param {"same" | "del" | "add"} op
 * @param {string} text
 */
function push(runs, op, text) {
  const last = runs[runs.length - 1];
  if (last && last.op === op) last.text += text;
  else runs.push({ op, text });
}

/**
 * What changed from `a` to `b`, word by word.
 * @param {string} a
 * @param {string} b
 * @returns {DiffRun[]}
 */
export function wordDiff(a, b) {
  const x = words(a);
  const y = words(b);
  /** @type {DiffRun[]} */
  const runs = [];
  if (x.length * y.length > MAX_CELLS) {
    if (a) push(runs, "del", a);
    if (b) push(runs, "add", b);
    return runs;
  }
  // lcs[i][j]: the longest common subsequence of x[i..] and y[j..].
  const w = y.length + 1;
  const lcs = new Uint32Array((x.length + 1) * w);
  for (let i = x.length - 1; i >= 0; i -= 1) {
    for (let j = y.length - 1; j >= 0; j -= 1) {
      lcs[i * w + j] = x[i] === y[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
    }
  }
  let i = 0;
  let j = 0;
  while (i < x.length && j < y.length) {
    if (x[i] === y[j]) {
      push(runs, "same", x[i]);
      i += 1;
      j += 1;
    } else if (lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) {
      push(runs, "del", x[i]);
      i += 1;
    } else {
      push(runs, "add", y[j]);
      j += 1;
    }
  }
  for (; i < x.length; i += 1) push(runs, "del", x[i]);
  for (; j < y.length; j += 1) push(runs, "add", y[j]);
  return runs;
}
