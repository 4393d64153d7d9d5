import { describe, expect, it } from "vitest";
import { canRestore, historyKey, when } from "./history";

const versions = [{ deleted: false }, { deleted: true }, { deleted: false }];

describe("history", () => {
  it("restores older versions only, never a deletion, and only for writers", () => {
    expect(canRestore(versions, 0, true)).toBe(false);
    expect(canRestore(versions, 1, true)).toBe(false);
    expect(canRestore(versions, 2, true)).toBe(true);
    expect(canRestore(versions, 2, false)).toBe(false);
    expect(canRestore(versions, 9, true)).toBe(false);
  });

  it("moves with the arrows, restores on Enter, closes on Escape", () => {
    expect(historyKey("ArrowDown", 0, versions, true)).toEqual({ kind: "move", by: 1 });
    expect(historyKey("ArrowUp", 2, versions, true)).toEqual({ kind: "move", by: -1 });
    expect(historyKey("Enter", 2, versions, true)).toEqual({ kind: "restore", index: 2 });
    expect(historyKey("Enter", 0, versions, true)).toEqual({ kind: "none" });
    expect(historyKey("Enter", 2, versions, false)).toEqual({ kind: "none" });
    expect(historyKey("Escape", 1, versions, true)).toEqual({ kind: "close" });
    expect(historyKey("x", 1, versions, true)).toEqual({ kind: "none" });
  });

  it("writes times as local date and minutes", () => {
    expect(when(new Date(2026, 10, 3, 9, 5).getTime())).toBe("2026-11-03 09:05");
  });
});
