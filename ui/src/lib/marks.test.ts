import { describe, expect, it } from "vitest";
import { previewSegments, segments } from "./marks";

describe("segments", () => {
  it("cuts a title at its marks", () => {
    expect(segments("怎么查物流", [[3, 5]])).toEqual([
      { text: "怎么查", marked: false },
      { text: "物流", marked: true },
    ]);
    expect(segments("发货时间", [[0, 1], [2, 3]])).toEqual([
      { text: "发", marked: true },
      { text: "货", marked: false },
      { text: "时", marked: true },
      { text: "间", marked: false },
    ]);
  });

  it("counts characters as core does (code points, not UTF-16 units)", () => {
    expect(segments("😀退货", [[1, 3]])).toEqual([
      { text: "😀", marked: false },
      { text: "退货", marked: true },
    ]);
  });

  it("without marks is the whole text, and bad marks are clipped", () => {
    expect(segments("开发票", [])).toEqual([{ text: "开发票", marked: false }]);
    expect(segments("开发票", undefined)).toEqual([{ text: "开发票", marked: false }]);
    expect(segments("开发票", [[2, 9], [1, 2]])).toEqual([
      { text: "开发", marked: false },
      { text: "票", marked: true },
    ]);
    expect(segments("", [[0, 3]])).toEqual([]);
  });

  it("keeps markup as text", () => {
    const s = segments("<b>退货</b>", [[3, 5]]);
    expect(s.map((x) => x.text).join("")).toBe("<b>退货</b>");
    expect(s[1]).toEqual({ text: "退货", marked: true });
  });
});

describe("previewSegments", () => {
  it("marks the search's ranges around the unset variables, which stay whole", () => {
    // 亲，【单号】已发货: 发货 (characters 7..9) found, 【单号】 (2..6) has no value yet.
    const pieces = [
      { text: "亲，", unset: false },
      { text: "【单号】", unset: true },
      { text: "已发货", unset: false },
    ];
    expect(previewSegments(pieces, [[7, 9]])).toEqual([
      { text: "亲，", kind: "plain" },
      { text: "【单号】", kind: "unset" },
      { text: "已", kind: "plain" },
      { text: "发货", kind: "marked" },
    ]);
    // A range across pieces is cut at them; no marks leave the text plain.
    expect(previewSegments(pieces, [[1, 8]]).map((s) => s.kind)).toEqual(["plain", "marked", "unset", "marked", "plain"]);
    expect(previewSegments([{ text: "发货", unset: false }], undefined)).toEqual([{ text: "发货", kind: "plain" }]);
  });
});
