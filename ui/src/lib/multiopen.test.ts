import { describe, expect, it } from "vitest";
import { setLang } from "./i18n";
import { foundLine, needsConfirm, shownFamilies, startedLine, startLabel, type MultiView } from "./multiopen";

const view = (over: Partial<MultiView> = {}): MultiView => ({
  supported: true,
  confirmed: false,
  families: [
    { family: "weChat", app: "weixin", path: "C:\\Program Files\\Tencent\\Weixin\\Weixin.exe", chosen: null, running: 2 },
    { family: "weCom", app: null, path: null, chosen: null, running: 0 },
  ],
  ...over,
});

describe("多开", () => {
  it("labels a start with how many run, in both languages", () => {
    setLang("zh-CN");
    expect(startLabel(view().families[0])).toBe("再开一个微信（已开 2 个）");
    setLang("en");
    expect(startLabel(view().families[0])).toBe("Start another WeChat (2 running)");
    setLang("zh-CN");
  });

  it("says which program was found, or that none was", () => {
    setLang("zh-CN");
    expect(foundLine(view().families[0])).toContain("微信 4");
    expect(foundLine(view().families[0])).toContain("Weixin.exe");
    expect(foundLine(view().families[1])).toContain("没有找到企业微信");
  });

  it("shows nothing where 多开 is not offered", () => {
    expect(shownFamilies(view({ supported: false, families: [] }))).toEqual([]);
    expect(shownFamilies(null)).toEqual([]);
    expect(shownFamilies(view())).toHaveLength(2);
  });

  it("asks to confirm until the agent has once", () => {
    expect(needsConfirm(view())).toBe(true);
    expect(needsConfirm(view({ confirmed: true }))).toBe(false);
    expect(needsConfirm(null)).toBe(true);
  });

  it("says how the instance was started", () => {
    setLang("zh-CN");
    expect(startedLine("weCom", { pid: 42, technique: "hold" })).toContain("企业微信");
    expect(startedLine("weCom", { pid: 42, technique: "close" })).toContain("42");
  });
});
