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

/** A piece of the panel's preview: plain, matched by the search, or a variable with no value yet. */
export interface PreviewSegment {
  text: string;
  kind: "plain" | "marked" | "unset";
}

/**
 * Cut a previewed text into segments: the variables with no value yet (`unset`, whole
 * pieces as `markUnset` gives them) stay as they are; the rest is cut at the search's
 * `marks` (character ranges of the whole text) like a row.
 */
export function previewSegments(
  pieces: { text: string; unset: boolean }[],
  marks: [number, number][] | undefined,
): PreviewSegment[] {
  const out: PreviewSegment[] = [];
  let at = 0;
  for (const p of pieces) {
    const len = Array.from(p.text).length;
    if (p.unset) {
      out.push({ text: p.text, kind: "unset" });
    } else {
      const local = (marks ?? [])
        .map(([s, e]): [number, number] => [Math.max(s, at) - at, Math.min(e, at + len) - at])
        .filter(([s, e]) => e > s);
      for (const seg of segments(p.text, local)) out.push({ text: seg.text, kind: seg.marked ? "marked" : "plain" });
    }
    at += len;
  }
  return out;
}
