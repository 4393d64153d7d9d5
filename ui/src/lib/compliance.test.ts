import { describe, expect, it } from "vitest";
import { excerpt, splitWords } from "./compliance";

describe("compliance excerpt", () => {
  it("shows the word with its context, cut with …", () => {
    const text = "亲，需要一对一跟进的话，可以添加客服微信，我把名片发给您。";
    const start = text.indexOf("微信");
    expect(excerpt(text, start, start + 2, 4)).toEqual({ before: "…添加客服", word: "微信", after: "，我把名…" });
  });

  it("keeps the ends of a short text and puts line breaks on one line", () => {
    expect(excerpt("顶级\n面料", 0, 2)).toEqual({ before: "", word: "顶级", after: " 面料" });
  });
});

describe("compliance word lists", () => {
  it("splits on lines, commas and 、, trimmed, without blanks or repeats", () => {
    expect(splitWords("秒杀价\n 全网最低，最低价、秒杀价\n\n,  ")).toEqual(["秒杀价", "全网最低", "最低价"]);
    expect(splitWords("")).toEqual([]);
  });
});
