/** A piece of a title or preview: plain, or matched by the search (drawn highlighted). */
export interface Segment {
  text: string;
  marked: boolean;
}

/**
 * Cut `text` into segments at the search's marks: `[start, end)` ranges in characters
 * (Unicode code points, as core counts them), sorted. Ranges out of bounds or
 * overlapping are clipped, so a stale mark never breaks the row. The segments are
 * rendered as text nodes, never as HTML.
 */
export function segments(text: string, marks: [number, number][] | undefined): Segment[] {
  const chars = Array.from(text);
  const out: Segment[] = [];
  let at = 0;
  const push = (end: number, marked: boolean) => {
    if (end > at) {
      const piece = chars.slice(at, end).join("");
      const last = out[out.length - 1];
      if (last && last.marked === marked) last.text += piece;
      else out.push({ text: piece, marked });
      at = end;
    }
  };
  for (const [s, e] of marks ?? []) {
    const start = Math.max(at, Math.min(s, chars.length));
    const end = Math.min(Math.max(e, start), chars.length);
    push(start, false);
    push(end, true);
  }
  push(chars.length, false);
  return out;
}
