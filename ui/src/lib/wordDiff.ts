/**
 * A word-level diff for suggestions (建议修改): the reply now against the proposal.
 * `words()` splits a text into runs of Latin letters or digits, single CJK characters,
 * runs of spaces and other single characters; `wordDiff()` answers the runs that stayed,
 * went and came, by the longest common subsequence, or (more than `MAX_CELLS` word
 * pairs) all of `a` gone and all of `b` come. The admin page has the same algorithm in
 * plain JS (`crates/server/admin/diff.js`); `wordDiff.test.ts` checks that both agree.
 */

export interface DiffRun {
  op: "same" | "del" | "add";
  text: string;
}

/** Most word pairs compared (the table of the LCS). */
export const MAX_CELLS = 400_000;

export function words(text: string): string[] {
  return text.match(/[A-Za-z0-9_]+|\s+|[\s\S]/gu) ?? [];
}

function push(runs: DiffRun[], op: DiffRun["op"], text: string) {
  const last = runs[runs.length - 1];
  if (last && last.op === op) last.text += text;
  else runs.push({ op, text });
}

/** What changed from `a` to `b`, word by word. */
export function wordDiff(a: string, b: string): DiffRun[] {
  const x = words(a);
  const y = words(b);
  const runs: DiffRun[] = [];
  if (x.length * y.length > MAX_CELLS) {
    if (a) push(runs, "del", a);
    if (b) push(runs, "add", b);
    return runs;
  }
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
