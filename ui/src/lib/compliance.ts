// The editor's view of a flagged word (the compliance check, src-tauri/src/compliance.rs):
// the word with a little of the text around it, so it can be shown highlighted.

/** The text around a flagged word: `before` and `after` cut to `context` characters (with …). */
export function excerpt(text: string, start: number, end: number, context = 10): { before: string; word: string; after: string } {
  const from = Math.max(0, start - context);
  const to = Math.min(text.length, end + context);
  const before = (from > 0 ? "…" : "") + text.slice(from, start).replace(/\n/g, " ");
  const after = text.slice(end, to).replace(/\n/g, " ") + (to < text.length ? "…" : "");
  return { before, word: text.slice(start, end), after };
}

/** A list of words as typed in 合规设置: one per line or separated by commas (，,) or 、;
 * trimmed, blanks and repeats dropped, in the order typed. */
export function splitWords(typed: string): string[] {
  const out: string[] = [];
  for (const w of typed.split(/[\n,，、;；]/)) {
    const word = w.trim();
    if (word !== "" && !out.includes(word)) out.push(word);
  }
  return out;
}
