import { describe, expect, it } from "vitest";
import {
  blanksOf,
  initialForm,
  leftUnset,
  markUnset,
  missingBlank,
  needsSetup,
  setupGroups,
  setupPayload,
  toRemember,
  togglePlatform,
  type SetupField,
  type SetupView,
} from "./setup";

const field = (name: string, over: Partial<SetupField> = {}): SetupField => ({
  name,
  description: "",
  value: null,
  example: null,
  team: null,
  ...over,
});

/** What a fresh install of the Chinese pack looks like (abridged). */
const fresh: SetupView = {
  fields: [
    field("会员福利", { example: "会员下单享95折" }),
    field("优惠券", { example: "满199减20元" }),
    field("包邮门槛", { example: "满99元" }),
    field("客服名", { example: "小满" }),
    field("店铺名", { value: "本店" }),
    field("快递公司", { example: "中通快递" }),
    field("活动名称", { example: "店庆活动" }),
    field("退换期限", { value: "7天" }),
  ],
  platforms: ["淘宝天猫", "京东", "拼多多", "微信小店"],
  chosen: null,
  setupDone: false,
};

describe("the setup screen", () => {
  it("asks the shop, shipping and promotion facts in that order, and no more (one screen)", () => {
    const groups = setupGroups(fresh.fields);
    expect(groups.map((g) => [g.group, g.fields.map((f) => f.name)])).toEqual([
      ["shop", ["店铺名", "客服名"]],
      ["shipping", ["快递公司", "包邮门槛"]],
      ["promo", ["活动名称", "优惠券"]],
    ]);
    // The English pack's names, in the same sections.
    const en = setupGroups([field("coupon_code"), field("carrier"), field("agent_name"), field("support_email")]);
    expect(en.map((g) => [g.group, g.fields.map((f) => f.name)])).toEqual([
      ["shop", ["agent_name"]],
      ["shipping", ["carrier"]],
      ["promo", ["coupon_code"]],
    ]);
  });

  it("comes up by itself only until saved or put off, and only with something unset", () => {
    expect(needsSetup(fresh)).toBe(true);
    expect(needsSetup({ ...fresh, setupDone: true })).toBe(false);
    const allSet = { ...fresh, fields: fresh.fields.map((f) => ({ ...f, value: f.value ?? "x", example: null })) };
    expect(needsSetup(allSet)).toBe(false);
    // A fact the team sets is not this user's to fill in.
    const teamSets = { ...fresh, fields: [field("快递公司", { example: "中通快递", team: "顺丰" })] };
    expect(needsSetup(teamSets)).toBe(false);
    // Nor does a variable the screen does not ask (it is asked when a reply needs it).
    expect(needsSetup({ ...fresh, fields: [field("会员福利", { example: "95折" })] })).toBe(false);
  });

  it("opens with the current values, empty fields for unset ones, never the example", () => {
    const form = initialForm(fresh);
    expect(form.values["店铺名"]).toBe("本店");
    expect(form.values["快递公司"]).toBe("");
    expect(Object.values(form.values)).not.toContain("中通快递");
    expect(form.platforms).toEqual([]);
    expect(initialForm({ ...fresh, chosen: ["京东"] }).platforms).toEqual(["京东"]);
  });

  it("saves what was typed and changed; blanks stay unset; the team's facts stay the team's", () => {
    const v: SetupView = { ...fresh, fields: [...fresh.fields, field("赠品", { example: "小礼品", team: "帆布袋" })] };
    let form = initialForm(v);
    form.values["客服名"] = " 阿花 ";
    form.values["快递公司"] = "顺丰";
    form.values["店铺名"] = "本店"; // unchanged
    form.values["包邮门槛"] = "  ";
    form.values["赠品"] = "别的"; // a team value is not this form's
    form = togglePlatform(togglePlatform(togglePlatform(form, "拼多多"), "淘宝天猫"), "京东");
    form = togglePlatform(form, "京东");
    expect(setupPayload(form, v)).toEqual({
      values: { 客服名: "阿花", 快递公司: "顺丰" },
      // In folder order, whatever the order of ticking.
      platforms: ["淘宝天猫", "拼多多"],
    });
    expect(leftUnset(form, v)).toBe(3); // 包邮门槛, 活动名称, 优惠券
    // No platform ticked: not chosen, every platform's replies stay.
    expect(setupPayload(initialForm(v), v).platforms).toBeNull();
  });
});

describe("asking before a fire", () => {
  it("asks prompts and unset variables once each; a variable must be answered", () => {
    const blanks = blanksOf(["买家昵称", "快递公司"], [
      { name: "快递公司", example: "中通快递" },
      { name: "包邮门槛", example: "满99元" },
    ]);
    expect(blanks).toEqual([
      { name: "买家昵称", kind: "prompt" },
      { name: "快递公司", kind: "variable", example: "中通快递" },
      { name: "包邮门槛", kind: "variable", example: "满99元" },
    ]);
    expect(missingBlank(blanks, { 买家昵称: "", 快递公司: "顺丰", 包邮门槛: " " })).toBe("包邮门槛");
    expect(missingBlank(blanks, { 买家昵称: "", 快递公司: "顺丰", 包邮门槛: "满59元" })).toBeNull();
  });

  it("keeps only the variables' answers, and only when asked to", () => {
    const blanks = blanksOf(["买家昵称"], [{ name: "快递公司", example: "中通快递" }]);
    const answers = { 买家昵称: "阿花", 快递公司: " 顺丰 " };
    expect(toRemember(blanks, answers, true)).toEqual({ 快递公司: "顺丰" });
    expect(toRemember(blanks, answers, false)).toEqual({});
  });

  it("marks the unset variables in a preview, not a reply's own 【】", () => {
    expect(markUnset("【温馨提示】默认发【快递公司】，【包邮门槛】包邮", ["快递公司", "包邮门槛"])).toEqual([
      { text: "【温馨提示】默认发", unset: false },
      { text: "【快递公司】", unset: true },
      { text: "，", unset: false },
      { text: "【包邮门槛】", unset: true },
      { text: "包邮", unset: false },
    ]);
    expect(markUnset("没有变量", [])).toEqual([{ text: "没有变量", unset: false }]);
  });
});
