import { describe, expect, it } from "vitest";
import type { Settings } from "./api";
import { keyName, listMove, rebase, record, sectionOf, sectionShortcut, SECTIONS, unsaved, type KeyPress } from "./settings";

const press = (key: string, code: string, mods: Partial<KeyPress> = {}): KeyPress => ({
  key,
  code,
  ctrl: false,
  alt: false,
  shift: false,
  meta: false,
  ...mods,
});

describe("the key recorder", () => {
  it("writes combinations the way the app's hotkeys parse them", () => {
    expect(record(press(" ", "Space", { ctrl: true, alt: true }))).toEqual({ kind: "combo", hotkey: "Ctrl+Alt+Space" });
    expect(record(press("q", "KeyQ", { ctrl: true, alt: true }))).toEqual({ kind: "combo", hotkey: "Ctrl+Alt+Q" });
    // Modifiers always in the order Ctrl, Alt, Shift, Super.
    expect(record(press("N", "KeyN", { shift: true, alt: true, ctrl: true }))).toEqual({ kind: "combo", hotkey: "Ctrl+Alt+Shift+N" });
    expect(record(press("k", "KeyK", { meta: true }))).toEqual({ kind: "combo", hotkey: "Super+K" });
    expect(record(press("F12", "F12", { ctrl: true }))).toEqual({ kind: "combo", hotkey: "Ctrl+F12" });
    // Named keys as normalize_hotkey spells them (Pageup, not PageUp).
    expect(record(press("PageUp", "PageUp", { alt: true }))).toEqual({ kind: "combo", hotkey: "Alt+Pageup" });
    expect(record(press("ArrowDown", "ArrowDown", { ctrl: true }))).toEqual({ kind: "combo", hotkey: "Ctrl+Down" });
    // Shift changed the character: the physical key counts (Shift+1 types "!").
    expect(record(press("!", "Digit1", { ctrl: true, shift: true }))).toEqual({ kind: "combo", hotkey: "Ctrl+Shift+1" });
    // The layout's letter wins over the physical place (AZERTY's A sits on KeyQ).
    expect(record(press("a", "KeyQ", { ctrl: true }))).toEqual({ kind: "combo", hotkey: "Ctrl+A" });
    // Shift alone is enough only for keys that type nothing.
    expect(record(press("F5", "F5", { shift: true }))).toEqual({ kind: "combo", hotkey: "Shift+F5" });
  });

  it("refuses a key without a modifier, and keys hotkeys cannot use", () => {
    expect(record(press("q", "KeyQ"))).toEqual({ kind: "needsModifier", key: "Q" });
    expect(record(press(" ", "Space"))).toEqual({ kind: "needsModifier", key: "Space" });
    expect(record(press("F5", "F5"))).toEqual({ kind: "needsModifier", key: "F5" });
    expect(record(press("A", "KeyA", { shift: true }))).toEqual({ kind: "needsModifier", key: "Shift+A" });
    expect(record(press(",", "Comma", { ctrl: true }))).toEqual({ kind: "unusable", key: "," });
    expect(keyName("1", "Numpad1")).toBeNull();
    expect(record(press("1", "Numpad1", { ctrl: true }))).toEqual({ kind: "unusable", key: "1" });
    expect(keyName("+", "NumpadAdd")).toBeNull();
  });

  it("shows modifiers while only they are held", () => {
    expect(record(press("Control", "ControlLeft", { ctrl: true }))).toEqual({ kind: "partial", text: "Ctrl+" });
    expect(record(press("Alt", "AltLeft", { ctrl: true, alt: true }))).toEqual({ kind: "partial", text: "Ctrl+Alt+" });
  });

  it("lets Tab move on; Esc cancels; Backspace and Delete clear", () => {
    expect(record(press("Tab", "Tab"))).toEqual({ kind: "pass" });
    expect(record(press("Tab", "Tab", { shift: true }))).toEqual({ kind: "pass" });
    expect(record(press("Tab", "Tab", { ctrl: true }))).toEqual({ kind: "combo", hotkey: "Ctrl+Tab" });
    expect(record(press("Escape", "Escape"))).toEqual({ kind: "cancel" });
    expect(record(press("Backspace", "Backspace"))).toEqual({ kind: "clear" });
    expect(record(press("Delete", "Delete"))).toEqual({ kind: "clear" });
    expect(record(press("Delete", "Delete", { ctrl: true, alt: true }))).toEqual({ kind: "combo", hotkey: "Ctrl+Alt+Delete" });
  });
});

describe("sections", () => {
  it("puts every field a save can complain about in its section", () => {
    expect(sectionOf("hotkey")).toBe("hotkeys");
    expect(sectionOf("nextPartHotkey")).toBe("hotkeys");
    expect(sectionOf("favourite.2")).toBe("hotkeys");
    expect(sectionOf("profile.3.name")).toBe("profiles");
    expect(sectionOf("language")).toBe("general");
    expect(sectionOf("startAtLogin")).toBe("general");
    expect(sectionOf("general")).toBeNull();
  });

  it("moves with the arrows (wrapping), Home and End, and Ctrl+1…7", () => {
    expect(SECTIONS).toHaveLength(7);
    expect(listMove("ArrowDown", 0)).toBe(1);
    expect(listMove("ArrowDown", 6)).toBe(0);
    expect(listMove("ArrowUp", 0)).toBe(6);
    expect(listMove("End", 2)).toBe(6);
    expect(listMove("a", 2)).toBeNull();
    const ctrl = { ctrl: true, alt: false, meta: false };
    expect(sectionShortcut({ key: "1", code: "Digit1", ...ctrl })).toBe(0);
    expect(sectionShortcut({ key: "7", code: "Digit7", ...ctrl })).toBe(6);
    expect(sectionShortcut({ key: "8", code: "Digit8", ...ctrl })).toBeNull();
    expect(sectionShortcut({ key: "2", code: "Digit2", ctrl: false, alt: false, meta: false })).toBeNull();
    expect(sectionShortcut({ key: "2", code: "Digit2", ctrl: true, alt: true, meta: false })).toBeNull();
  });
});

describe("the form and settings saved elsewhere", () => {
  const base = {
    hotkey: "Ctrl+Alt+Space",
    nextPartHotkey: "Ctrl+Alt+N",
    autoPaste: false,
    autoPasteChatApps: true,
    pressEnter: false,
    restoreClipboard: false,
    mode: "popup",
    dockSide: "right",
    language: "zh-CN",
    theme: "system",
    startAtLogin: false,
    paused: false,
    favourites: [],
    profiles: [],
    scope: "all",
    platforms: [],
    setupDone: false,
  } satisfies Settings;

  it("knows unsaved changes", () => {
    expect(unsaved(structuredClone(base), base)).toBe(false);
    expect(unsaved({ ...base, theme: "dark" }, base)).toBe(true);
  });

  it("takes what changed elsewhere and keeps the form's own changes", () => {
    const draft: Settings = { ...base, hotkey: "Ctrl+Alt+Q" };
    const after: Settings = { ...base, scope: "team", favourites: [{ hotkey: "Ctrl+Alt+1", snippet: "x" }] };
    const merged = rebase(draft, base, after);
    expect(merged.hotkey).toBe("Ctrl+Alt+Q");
    expect(merged.scope).toBe("team");
    expect(merged.favourites).toEqual([{ hotkey: "Ctrl+Alt+1", snippet: "x" }]);
    expect(unsaved(merged, after)).toBe(true);
  });
});
