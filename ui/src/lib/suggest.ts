// Suggestions (建议修改 / 建议新增) in the editor: which keys do what in the 建议 dialog,
// what a lead may do with an item, and the order of the list. Pure: tested by vitest.

import type { SuggestionView } from "./api";

export type SuggestAction =
  | { kind: "none" }
  | { kind: "close" }
  | { kind: "move"; by: number }
  | { kind: "accept" | "edit" | "decline" | "withdraw"; index: number };

/** A lead decides someone else's pending suggestion. */
export function canDecide(s: SuggestionView | undefined, lead: boolean): boolean {
  return !!s && lead && !s.mine && s.state === "pending";
}

/** Its author takes back one not decided yet (queued here, or pending on the server). */
export function canWithdraw(s: SuggestionView | undefined): boolean {
  return !!s && s.mine && (s.state === "pending" || s.state === "queued");
}

/** The list as shown: what a lead has to decide first, then the rest newest first. */
export function ordered(items: SuggestionView[], lead: boolean): SuggestionView[] {
  const todo = items.filter((s) => canDecide(s, lead));
  const rest = items.filter((s) => !canDecide(s, lead));
  const newest = (a: SuggestionView, b: SuggestionView) => b.createdAt - a.createdAt;
  return [...todo.sort(newest), ...rest.sort(newest)];
}

/** What a key pressed in the list does (a form open inside it takes its own keys). */
export function suggestKey(key: string, selected: number, items: SuggestionView[], lead: boolean): SuggestAction {
  const s = items[selected];
  switch (key) {
    case "Escape":
      return { kind: "close" };
    case "ArrowDown":
      return { kind: "move", by: 1 };
    case "ArrowUp":
      return { kind: "move", by: -1 };
    case "a":
    case "A":
      return canDecide(s, lead) ? { kind: "accept", index: selected } : { kind: "none" };
    case "e":
    case "E":
      return canDecide(s, lead) ? { kind: "edit", index: selected } : { kind: "none" };
    case "d":
    case "D":
      return canDecide(s, lead) ? { kind: "decline", index: selected } : { kind: "none" };
    case "w":
    case "W":
      return canWithdraw(s) ? { kind: "withdraw", index: selected } : { kind: "none" };
    default:
      return { kind: "none" };
  }
}
