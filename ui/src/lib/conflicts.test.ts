import { describe, expect, it } from "vitest";
import { conflictKey, partsText } from "./conflicts";

const ok = { writable: true, hasCurrent: true };

describe("conflictKey", () => {
  it("settles with 1 / 2 / 3 and moves with the arrows", () => {
    expect(conflictKey("1", 2, ok)).toEqual({ kind: "keep" });
    expect(conflictKey("2", 2, ok)).toEqual({ kind: "mine" });
    expect(conflictKey("3", 2, ok)).toEqual({ kind: "merge" });
    expect(conflictKey("ArrowDown", 2, ok)).toEqual({ kind: "move", by: 1 });
    expect(conflictKey("ArrowUp", 2, ok)).toEqual({ kind: "move", by: -1 });
    expect(conflictKey("Escape", 0, ok)).toEqual({ kind: "close" });
  });

  it("does nothing without a conflict, for read-only libraries, or mine/merge without a current version", () => {
    expect(conflictKey("1", 0, ok)).toEqual({ kind: "none" });
    expect(conflictKey("1", 1, { writable: false, hasCurrent: true })).toEqual({ kind: "none" });
    expect(conflictKey("2", 1, { writable: true, hasCurrent: false })).toEqual({ kind: "none" });
    expect(conflictKey("1", 1, { writable: true, hasCurrent: false })).toEqual({ kind: "keep" });
    expect(conflictKey("x", 1, ok)).toEqual({ kind: "none" });
  });
});

describe("partsText", () => {
  it("joins text parts and marks images", () => {
    expect(partsText([{ type: "text", body: "a" }, { type: "image" }, { type: "text", body: "b" }], "[图]")).toBe("a\n\n[图]\n\nb");
  });
});
