import { describe, expect, it } from "vitest";
import { allKeys, t } from "./i18n";

describe("i18n", () => {
  it("has every message in both languages, with the same placeholders", () => {
    for (const k of allKeys()) {
      const zh = t(k, {}, "zh-CN");
      const en = t(k, {}, "en");
      expect(zh.length, k).toBeGreaterThan(0);
      expect(en.length, k).toBeGreaterThan(0);
      const names = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      expect(names(en), k).toEqual(names(zh));
    }
  });

  it("fills placeholders and leaves unknown ones visible", () => {
    expect(t("copied", { title: "发货时间" }, "zh-CN")).toBe("已复制到剪贴板：发货时间");
    expect(t("queue", { index: 2, total: 3 }, "en")).toBe("Queued 2/3");
    expect(t("copied", {}, "en")).toBe("Copied to the clipboard: {title}");
  });
});
