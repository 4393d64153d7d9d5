// The editor's conflict view: keys, free of the DOM so that they are unit-tested.

export type ConflictAction =
  | { kind: "move"; by: number }
  | { kind: "keep" }
  | { kind: "mine" }
  | { kind: "merge" }
  | { kind: "close" }
  | { kind: "none" };

/** What a key does in the conflict view: ↑↓ choose, 1 keep current, 2 take mine,
 * 3 edit a merge (each only when the conflict can be settled here), Esc close. */
export function conflictKey(key: string, count: number, settle: { writable: boolean; hasCurrent: boolean }): ConflictAction {
  if (key === "Escape") return { kind: "close" };
  if (key === "ArrowDown") return { kind: "move", by: 1 };
  if (key === "ArrowUp") return { kind: "move", by: -1 };
  if (count === 0 || !settle.writable) return { kind: "none" };
  if (key === "1") return { kind: "keep" };
  if (key === "2" && settle.hasCurrent) return { kind: "mine" };
  if (key === "3" && settle.hasCurrent) return { kind: "merge" };
  return { kind: "none" };
}

/** A reply's parts as text, images as a placeholder. */
export function partsText(parts: { type: string; body?: string }[], image: string): string {
  return parts.map((p) => (p.type === "text" ? (p.body ?? "") : image)).join("\n\n");
}
