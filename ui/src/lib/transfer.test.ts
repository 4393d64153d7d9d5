import { describe, expect, it } from "vitest";
import type { Preview } from "./api";
import { t } from "./i18n";
import { countsOf, lineLabel, needsAttention, reportLines } from "./transfer";

const preview: Preview = {
  name: "活动话术",
  new: 2,
  changed: 1,
  unchanged: 1,
  conflicting: 0,
  skipped: 3,
  notes: 1,
  remarks: [
    { kind: "note", origin: "活动话术.csv:3", reason: "快捷方式「发货」不能作为快捷编码" },
    { kind: "skipped", origin: "活动话术.csv:6", reason: "内容为空" },
  ],
  items: [
    { status: "skipped", folder: "", title: "满减", origin: "活动话术.csv:2", note: "「{」没有配对的「}」" },
    { status: "skipped", folder: "售后/很长的文件夹", title: "", origin: "活动话术.csv:1", note: "文件夹名最多 200 个字" },
    { status: "new", folder: "售前", title: "发货", origin: "活动话术.csv:3", note: null },
    { status: "changed", folder: "", title: "退货", origin: "活动话术.csv:4", note: "另存为「退货（导入）」" },
    { status: "unchanged", folder: "", title: "在吗", origin: "活动话术.csv:5", note: null },
    { status: "new", folder: "", title: "问候", origin: "活动话术.csv:7", note: null },
  ],
  more: 0,
};

describe("import report", () => {
  it("lists the remarks, then every line of the plan, like qreply import --preview", () => {
    const lines = reportLines(preview);
    expect(lines.map((l) => [l.kind, l.what, l.origin])).toEqual([
      ["note", "", "活动话术.csv:3"],
      ["skipped", "", "活动话术.csv:6"],
      ["skipped", "满减", "活动话术.csv:2"],
      ["skipped", "售后/很长的文件夹", "活动话术.csv:1"],
      ["new", "售前 / 发货", "活动话术.csv:3"],
      ["changed", "退货", "活动话术.csv:4"],
      ["unchanged", "在吗", "活动话术.csv:5"],
      ["new", "问候", "活动话术.csv:7"],
    ]);
    expect(lines[1].note).toBe("内容为空");
    expect(lines[2].note).toContain("没有配对");
    expect(lines[6].note).toBe("");
  });

  it("labels skipped rows and notes apart, in both languages", () => {
    expect(t(lineLabel.skipped, {}, "zh-CN")).toBe("跳过");
    expect(t(lineLabel.note, {}, "zh-CN")).toBe("备注");
    expect(t(lineLabel.skipped, {}, "en")).toBe("skipped");
    expect(t(lineLabel.note, {}, "en")).toBe("note");
    expect(t(lineLabel.unchanged, {}, "en")).toBe("unchanged");
  });

  it("highlights what was not imported or has a remark", () => {
    const lines = reportLines(preview);
    expect(lines.filter(needsAttention).map((l) => l.origin)).toEqual([
      "活动话术.csv:3",
      "活动话术.csv:6",
      "活动话术.csv:2",
      "活动话术.csv:1",
    ]);
  });

  it("counts skipped rows and notes in the summary", () => {
    const counts = t("previewCounts", countsOf(preview), "en");
    expect(counts).toBe("2 new, 1 changed, 1 unchanged, 0 conflicting, 3 skipped, 1 notes");
  });
});
