import { describe, expect, it } from "vitest";
import { MAX_CELLS, wordDiff, words } from "./wordDiff";
// The admin page's copy (plain JS, no declaration file): it must answer alike.
// @ts-expect-error -- plain JS module without types
import { wordDiff as adminDiff } from "../../../crates/server/admin/diff.js";

const CASES: [string, string][] = [
  ["亲，付款后48小时内发货", "亲，付款后24小时内发货哦"],
  ["", "周末也发货"],
  ["same words", "same words"],
  ["Order 123 ships today", "Order 124 ships tomorrow"],
  ["亲，满意的话给个五星好评吧", "亲，满意请给五星哦"],
];

describe("wordDiff", () => {
  it("splits Chinese by character and Latin by word", () => {
    expect(words("亲，48h 内发货 OK")).toEqual(["亲", "，", "48h", " ", "内", "发", "货", " ", "OK"]);
  });

  it("marks what went and what came, keeping the rest", () => {
    expect(wordDiff("亲，付款后48小时内发货", "亲，付款后24小时内发货哦")).toEqual([
      { op: "same", text: "亲，付款后" },
      { op: "del", text: "48" },
      { op: "add", text: "24" },
      { op: "same", text: "小时内发货" },
      { op: "add", text: "哦" },
    ]);
  });

  it("answers a new text as all added and an equal one as unchanged", () => {
    expect(wordDiff("", "周末也发货")).toEqual([{ op: "add", text: "周末也发货" }]);
    expect(wordDiff("same words", "same words")).toEqual([{ op: "same", text: "same words" }]);
  });

  it("puts the old text back from same + del and the new from same + add", () => {
    for (const [a, b] of CASES) {
      const runs = wordDiff(a, b);
      expect(runs.filter((r) => r.op !== "add").map((r) => r.text).join("")).toBe(a);
      expect(runs.filter((r) => r.op !== "del").map((r) => r.text).join("")).toBe(b);
    }
  });

  it("gives up word by word on texts too long, but still says what changed", () => {
    const long = "字".repeat(Math.ceil(Math.sqrt(MAX_CELLS)) + 1);
    expect(wordDiff(long, `${long}！`)).toEqual([
      { op: "del", text: long },
      { op: "add", text: `${long}！` },
    ]);
  });

  it("agrees with the admin page's copy", () => {
    for (const [a, b] of CASES) expect(adminDiff(a, b)).toEqual(wordDiff(a, b));
  });
});
