import { describe, expect, it } from "vitest";
import { allKeys, libraryLabel, libraryName, setLang, t } from "./i18n";

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

describe("library names", () => {
  it("shows the personal library by its name in the language, a team library by its own", () => {
    expect(libraryName("personal", false, "zh-CN")).toBe("个人");
    expect(libraryName("personal", false, "en")).toBe("Personal");
    // Where the kind is shown, the personal library is not named twice ("个人 · personal").
    expect(libraryLabel("personal", false, "zh-CN")).toBe("个人");
    expect(libraryLabel("personal", false, "en")).toBe("Personal");
    expect(libraryLabel("售后组", true, "zh-CN")).toBe("团队 · 售后组");
    expect(libraryLabel("售后组", true, "en")).toBe("Team · 售后组");
    // A team library keeps its name, even one called "personal".
    expect(libraryName("personal", true, "en")).toBe("personal");
    expect(t("varsTitle", { library: libraryName("personal", false, "en") }, "en")).toBe('Variables of "Personal"');
  });

  it("switches every message at once", () => {
    setLang("en");
    expect(t("settingsSaved")).toBe("Settings saved");
    expect(libraryName("personal", false)).toBe("Personal");
    setLang("zh-CN");
    expect(t("settingsSaved")).toBe("设置已保存");
    expect(libraryName("personal", false)).toBe("个人");
  });
});
