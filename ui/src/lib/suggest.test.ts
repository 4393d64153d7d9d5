import { describe, expect, it } from "vitest";
import type { SuggestionView } from "./api";
import { canDecide, canWithdraw, ordered, suggestKey } from "./suggest";

function s(over: Partial<SuggestionView>): SuggestionView {
  return {
    id: "x",
    short: "0000abcd",
    library: "售后话术",
    title: "发货时间",
    state: "pending",
    new: false,
    mine: false,
    author: "小王",
    note: "",
    comment: null,
    decidedBy: null,
    error: null,
    proposed: "亲，24小时内发货",
    current: "亲，48小时内发货",
    currentTitle: "发货时间",
    changed: false,
    createdAt: 1,
    ...over,
  };
}

describe("suggestions", () => {
  it("lets a lead decide others' pending suggestions only", () => {
    expect(canDecide(s({}), true)).toBe(true);
    expect(canDecide(s({}), false)).toBe(false);
    expect(canDecide(s({ mine: true }), true)).toBe(false);
    expect(canDecide(s({ state: "accepted" }), true)).toBe(false);
  });

  it("lets the author withdraw what is not decided yet", () => {
    expect(canWithdraw(s({ mine: true, state: "queued" }))).toBe(true);
    expect(canWithdraw(s({ mine: true }))).toBe(true);
    expect(canWithdraw(s({ mine: true, state: "declined" }))).toBe(false);
    expect(canWithdraw(s({}))).toBe(false);
  });

  it("puts what a lead has to decide first, newest first", () => {
    const list = [
      s({ id: "old-done", state: "accepted", createdAt: 5 }),
      s({ id: "todo-old", createdAt: 1 }),
      s({ id: "todo-new", createdAt: 3 }),
    ];
    expect(ordered(list, true).map((x) => x.id)).toEqual(["todo-new", "todo-old", "old-done"]);
    expect(ordered(list, false).map((x) => x.id)).toEqual(["old-done", "todo-new", "todo-old"]);
  });

  it("maps keys to actions the item allows", () => {
    const items = [s({}), s({ mine: true, state: "queued" })];
    expect(suggestKey("a", 0, items, true)).toEqual({ kind: "accept", index: 0 });
    expect(suggestKey("E", 0, items, true)).toEqual({ kind: "edit", index: 0 });
    expect(suggestKey("d", 0, items, true)).toEqual({ kind: "decline", index: 0 });
    expect(suggestKey("a", 0, items, false)).toEqual({ kind: "none" });
    expect(suggestKey("w", 1, items, false)).toEqual({ kind: "withdraw", index: 1 });
    expect(suggestKey("w", 0, items, true)).toEqual({ kind: "none" });
    expect(suggestKey("ArrowDown", 0, items, true)).toEqual({ kind: "move", by: 1 });
    expect(suggestKey("Escape", 0, items, true)).toEqual({ kind: "close" });
    expect(suggestKey("x", 0, items, true)).toEqual({ kind: "none" });
  });
});
