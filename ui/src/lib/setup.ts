// The first-run setup (店铺设置) and the panel's questions for variables that have no
// value yet, free of the DOM and of Tauri so that they are unit-tested.
//
// A built-in pack declares shop facts with only an example (快递公司 = 例：中通快递): they
// are unset until someone gives a value, and a reply using one is never sent with the
// example (core `store::variables`). The setup asks for them once; the panel asks for
// the ones still unset when a reply needs them.

import type { Key } from "./i18n";

/** One variable as the setup screen gets it (src-tauri `setup::SetupField`). */
export interface SetupField {
  name: string;
  description: string;
  /** This user's value; null while unset. */
  value: string | null;
  /** The pack's example, shown as a hint (never saved as the value). */
  example: string | null;
  /** A team library's fixed value: the team's fact, shown, not asked. */
  team: string | null;
}

export interface SetupView {
  fields: SetupField[];
  /** The platforms there are replies for (sub-folders of 平台专用), in folder order. */
  platforms: string[];
  /** The chosen ones; null: not chosen (every platform's replies shown). */
  chosen: string[] | null;
  setupDone: boolean;
}

export type Group = "shop" | "shipping" | "promo";

/** The setup's sections in order, with the variables each asks (both built-in packs'
 * names): the facts nearly every reply needs, few enough for one screen. Other unset
 * variables (工作时间, 赠品…) are asked when a reply first needs them. */
export const GROUPS: { group: Group; label: Key; names: string[] }[] = [
  { group: "shop", label: "setupShop", names: ["店铺名", "客服名", "shop_name", "agent_name"] },
  { group: "shipping", label: "setupShipping", names: ["快递公司", "发货时间", "包邮门槛", "carrier", "ship_time", "free_shipping"] },
  { group: "promo", label: "setupPromo", names: ["活动名称", "活动截止", "优惠券", "promo_name", "promo_end", "coupon_code"] },
];

/** Whether a variable has no value anywhere the user's replies look. */
export function isUnset(f: SetupField): boolean {
  return f.value === null && f.team === null;
}

/** The fields of each section that the library has, in the section's order; empty
 * sections left out. */
export function setupGroups(fields: SetupField[]): { group: Group; label: Key; fields: SetupField[] }[] {
  return GROUPS.map((g) => ({
    group: g.group,
    label: g.label,
    fields: g.names.map((n) => fields.find((f) => f.name === n)).filter((f): f is SetupField => f !== undefined),
  })).filter((g) => g.fields.length > 0);
}

/** Whether the setup comes up by itself: never saved or put off, and one of its
 * fields unset. */
export function needsSetup(v: SetupView): boolean {
  return !v.setupDone && setupGroups(v.fields).some((g) => g.fields.some((f) => isUnset(f) && f.example !== null));
}

export interface SetupForm {
  values: Record<string, string>;
  platforms: string[];
}

/** The form as it opens: current values (empty for unset ones), chosen platforms. */
export function initialForm(v: SetupView): SetupForm {
  const values: Record<string, string> = {};
  for (const g of setupGroups(v.fields)) for (const f of g.fields) if (f.team === null) values[f.name] = f.value ?? "";
  return { values, platforms: [...(v.chosen ?? [])] };
}

/** Tick or untick a platform. */
export function togglePlatform(form: SetupForm, p: string): SetupForm {
  const on = form.platforms.includes(p);
  return { ...form, platforms: on ? form.platforms.filter((x) => x !== p) : [...form.platforms, p] };
}

/** What saving sends: the values typed in that differ from what is stored (blank
 * ones stay unset; the team's are not this form's), and the platforms in folder order
 * (none ticked: not chosen, every platform shown). */
export function setupPayload(form: SetupForm, v: SetupView): { values: Record<string, string>; platforms: string[] | null } {
  const values: Record<string, string> = {};
  for (const f of v.fields) {
    const typed = form.values[f.name]?.trim();
    if (f.team !== null || !typed || typed === f.value) continue;
    values[f.name] = typed;
  }
  const platforms = v.platforms.filter((p) => form.platforms.includes(p));
  return { values, platforms: platforms.length > 0 ? platforms : null };
}

/** How many asked variables the form leaves unset (the panel will ask when a reply
 * needs one). */
export function leftUnset(form: SetupForm, v: SetupView): number {
  return setupGroups(v.fields)
    .flatMap((g) => g.fields)
    .filter((f) => f.team === null && f.value === null && !form.values[f.name]?.trim()).length;
}

// ----- asking before a fire -------------------------------------------------------------

/** A variable a reply needs before it is sent (src-tauri `setup::UnsetView`). */
export interface UnsetVar {
  name: string;
  example: string;
}

/** One blank of the panel's question: a `{?prompt}`, or a variable with no value yet. */
export interface Blank {
  name: string;
  kind: "prompt" | "variable";
  /** For a variable: the example, shown as a hint. */
  example?: string;
}

/** The blanks a fire asks for, prompts first, each name once (an answer fills a
 * prompt and an unset variable of the same name alike). */
export function blanksOf(prompts: string[], unset: UnsetVar[]): Blank[] {
  const out: Blank[] = prompts.map((name) => ({ name, kind: "prompt" }));
  for (const u of unset) {
    const same = out.find((b) => b.name === u.name);
    if (same) Object.assign(same, { kind: "variable", example: u.example });
    else out.push({ name: u.name, kind: "variable", example: u.example });
  }
  return out;
}

/** The first variable blank still empty (nothing is sent without it), or null. A
 * prompt may be left empty, as before. */
export function missingBlank(blanks: Blank[], answers: Record<string, string>): string | null {
  return blanks.find((b) => b.kind === "variable" && !answers[b.name]?.trim())?.name ?? null;
}

/** The answers to keep as the variables' values when "remember" is ticked. */
export function toRemember(blanks: Blank[], answers: Record<string, string>, remember: boolean): Record<string, string> {
  if (!remember) return {};
  const out: Record<string, string> = {};
  for (const b of blanks) {
    const v = answers[b.name]?.trim();
    if (b.kind === "variable" && v) out[b.name] = v;
  }
  return out;
}

/** Preview text split so that the variables still unset (rendered as 【name】 by the
 * core) can be drawn as such; other 【…】 in a reply are its own text. */
export function markUnset(text: string, names: string[]): { text: string; unset: boolean }[] {
  if (names.length === 0) return [{ text, unset: false }];
  const marks = names.map((n) => `【${n}】`);
  const out: { text: string; unset: boolean }[] = [];
  let rest = text;
  while (rest.length > 0) {
    let at = -1;
    let mark = "";
    for (const m of marks) {
      const i = rest.indexOf(m);
      if (i >= 0 && (at < 0 || i < at)) {
        at = i;
        mark = m;
      }
    }
    if (at < 0) {
      out.push({ text: rest, unset: false });
      break;
    }
    if (at > 0) out.push({ text: rest.slice(0, at), unset: false });
    out.push({ text: mark, unset: true });
    rest = rest.slice(at + mark.length);
  }
  return out;
}
