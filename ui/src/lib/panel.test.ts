import { describe, expect, it } from "vitest";
import { Composition, digitKeys, digitsFire, dropOrder, imeKey, keyAction, outcomeMessage, partKinds, showPreview, moveItem, moveSelection, nextFavouriteHotkey, parseTags, PerWindow, SCOPES, syncLabel, type KeyInput, type PanelView } from "./panel";

const key = (k: string, mods: Partial<KeyInput> = {}): KeyInput => ({ key: k, ctrl: false, alt: false, shift: false, ...mods });
const view = (v: Partial<PanelView> = {}): PanelView => ({ query: "fh", count: 5, selected: 0, listMode: false, ...v });

describe("keyAction", () => {
  it("fires the selected reply on Enter; on a search that found nothing, offers a new reply", () => {
    expect(keyAction(key("Enter"), view({ selected: 2 }))).toEqual({ kind: "fire", index: 2 });
    expect(keyAction(key("Enter"), view({ count: 0 }))).toEqual({ kind: "create" });
    expect(keyAction(key("Enter"), view({ count: 0, query: "  " }))).toEqual({ kind: "none" });
    expect(keyAction(key("Enter"), view({ count: 0, query: "" }))).toEqual({ kind: "none" });
  });

  it("names in the footer exactly the digit keys that fire a row now", () => {
    for (const listMode of [false, true])
      for (const query of ["", "fh"]) {
        const v = view({ query, listMode });
        const label = digitKeys(v);
        const alt = label.startsWith("Alt+");
        // The keys the footer names fire row 3 …
        expect(keyAction(key("3", { alt }), v), `${label} ${query} ${listMode}`).toEqual({ kind: "fire", index: 2 });
        // … and a footer that says bare digits only says so when they do fire.
        expect(alt, label).toBe(!digitsFire(v));
        if (alt) expect(keyAction(key("3"), v)).toEqual({ kind: "none" });
      }
    expect(digitKeys(view({ query: "fh" }))).toBe("Alt+1–9");
    expect(digitKeys(view({ query: "" }))).toBe("1–9");
  });

  it("types digits into a query but fires with them in list mode, with Alt, or on an empty query", () => {
    expect(keyAction(key("3"), view())).toEqual({ kind: "none" });
    expect(keyAction(key("3"), view({ listMode: true }))).toEqual({ kind: "fire", index: 2 });
    expect(keyAction(key("3", { alt: true }), view())).toEqual({ kind: "fire", index: 2 });
    expect(keyAction(key("1"), view({ query: "" }))).toEqual({ kind: "fire", index: 0 });
    expect(keyAction(key("9", { alt: true }), view())).toEqual({ kind: "none" });
  });

  it("clears the query before hiding on Escape", () => {
    expect(keyAction(key("Escape"), view())).toEqual({ kind: "clear" });
    expect(keyAction(key("Escape"), view({ query: "" }))).toEqual({ kind: "hide" });
  });

  it("moves with arrows and emacs keys, opens settings and toggles favourites", () => {
    expect(keyAction(key("ArrowDown"), view())).toEqual({ kind: "move", by: 1 });
    expect(keyAction(key("p", { ctrl: true }), view())).toEqual({ kind: "move", by: -1 });
    expect(keyAction(key(",", { ctrl: true }), view())).toEqual({ kind: "settings" });
    expect(keyAction(key("d", { ctrl: true }), view({ selected: 1 }))).toEqual({ kind: "favourite", index: 1 });
  });
});

describe("input methods", () => {
  const keydown = (k: string, extra: { isComposing?: boolean; keyCode?: number } = {}) => ({ key: k, ...extra });

  it("never fires on keys an input method is composing with", () => {
    // Enter committing 发货 (isComposing), a digit picking candidate 1 (keyCode 229).
    for (const e of [keydown("Enter", { isComposing: true }), keydown("1", { keyCode: 229 }), keydown("Process", { keyCode: 229 })]) {
      expect(imeKey(e)).toBe(true);
      expect(keyAction(key(e.key, { composing: imeKey(e) }), view({ query: "", listMode: true }))).toEqual({ kind: "none" });
    }
    // The same keys without an input method still work.
    expect(imeKey(keydown("Enter", { keyCode: 13 }))).toBe(false);
    expect(keyAction(key("Enter", { composing: false }), view())).toEqual({ kind: "fire", index: 0 });
    expect(keyAction(key("1", { composing: false }), view({ query: "" }))).toEqual({ kind: "fire", index: 0 });
  });

  it("follows compositionstart and compositionend, and leaves the committing key to the input method", async () => {
    const win = new EventTarget();
    const ime = new Composition(win);
    const enter = keydown("Enter", { keyCode: 13 });
    expect(ime.owns(enter)).toBe(false);
    win.dispatchEvent(new Event("compositionstart"));
    // An engine that marks nothing: digits picking candidates and Enter still belong to it.
    expect(ime.owns(keydown("2", { keyCode: 50 }))).toBe(true);
    expect(ime.owns(enter)).toBe(true);
    win.dispatchEvent(new Event("compositionend"));
    // WebKit delivers the committing Enter right after compositionend.
    expect(ime.owns(enter)).toBe(true);
    await new Promise((r) => setTimeout(r, 0));
    // The next Enter is the agent's: it fires.
    expect(ime.owns(enter)).toBe(false);
    expect(ime.owns(keydown("1", { keyCode: 229 }))).toBe(true);
  });
});

describe("scope switch", () => {
  it("Alt+A / Alt+P / Alt+T switch all / personal / team, by key or by physical code", () => {
    expect(keyAction(key("a", { alt: true }), view())).toEqual({ kind: "scope", scope: "all" });
    expect(keyAction(key("P", { alt: true }), view())).toEqual({ kind: "scope", scope: "personal" });
    expect(keyAction(key("t", { alt: true }), view({ query: "" }))).toEqual({ kind: "scope", scope: "team" });
    // macOS's Option+T types †: the physical key still decides.
    expect(keyAction(key("†", { alt: true, code: "KeyT" }), view())).toEqual({ kind: "scope", scope: "team" });
  });

  it("leaves plain letters to the search box and keeps Ctrl/Alt digits firing rows", () => {
    expect(keyAction(key("t"), view())).toEqual({ kind: "none" });
    expect(keyAction(key("t", { alt: true, ctrl: true }), view())).toEqual({ kind: "none" });
    expect(keyAction(key("a", { alt: true, shift: true }), view())).toEqual({ kind: "none" });
    expect(keyAction(key("1", { ctrl: true }), view())).toEqual({ kind: "fire", index: 0 });
    expect(keyAction(key("2", { alt: true }), view())).toEqual({ kind: "fire", index: 1 });
    expect(keyAction(key("x", { alt: true }), view())).toEqual({ kind: "none" });
  });

  it("has one distinct key per scope, none of them a panel key", () => {
    expect(new Set(SCOPES.map((s) => s.key)).size).toBe(3);
    expect(SCOPES.map((s) => s.scope)).toEqual(["all", "personal", "team"]);
  });
});

describe("moveSelection", () => {
  it("wraps single steps and clamps page steps", () => {
    expect(moveSelection(0, -1, 4)).toBe(3);
    expect(moveSelection(3, 1, 4)).toBe(0);
    expect(moveSelection(1, 5, 4)).toBe(3);
    expect(moveSelection(2, -5, 4)).toBe(0);
    expect(moveSelection(0, 1, 0)).toBe(0);
  });
});

describe("favourites and per-window state", () => {
  it("picks the first free Ctrl+Alt+digit", () => {
    expect(nextFavouriteHotkey([])).toBe("Ctrl+Alt+1");
    expect(nextFavouriteHotkey(["Ctrl+Alt+1", "Ctrl+Alt+2"])).toBe("Ctrl+Alt+3");
    expect(nextFavouriteHotkey(Array.from({ length: 9 }, (_, i) => `Ctrl+Alt+${i + 1}`))).toBeNull();
  });

  it("keeps a query per chat window", () => {
    const q = new PerWindow("");
    q.set(1, "fahuo");
    q.set(2, "tuihuo");
    expect(q.get(1)).toBe("fahuo");
    expect(q.get(2)).toBe("tuihuo");
    expect(q.get(3)).toBe("");
    expect(q.get(null)).toBe("");
  });
});

describe("editor helpers", () => {
  it("moves parts and replies by keyboard, clamped at the ends", () => {
    expect(moveItem(["a", "b", "c"], 0, 1)).toEqual(["b", "a", "c"]);
    expect(moveItem(["a", "b", "c"], 2, -1)).toEqual(["a", "c", "b"]);
    expect(moveItem(["a", "b", "c"], 0, -1)).toEqual(["a", "b", "c"]);
  });

  it("drops a reply before another one or at the end of a folder", () => {
    expect(dropOrder(["a", "b", "c"], "c", "a")).toEqual(["c", "a", "b"]);
    expect(dropOrder(["a", "b"], "x", null)).toEqual(["a", "b", "x"]);
    expect(dropOrder(["a", "b"], "a", "zzz")).toEqual(["b", "a"]);
  });

  it("splits tags on Chinese and Latin commas", () => {
    expect(parseTags("几天发, 发货，快递、 ")).toEqual(["几天发", "发货", "快递"]);
  });

  it("opens the editor with Ctrl+E", () => {
    expect(keyAction(key("e", { ctrl: true }), view())).toEqual({ kind: "editor" });
    // Ctrl+I opens the shop setup again; a plain i is typed.
    expect(keyAction(key("i", { ctrl: true }), view())).toEqual({ kind: "setup" });
    expect(keyAction(key("i"), view())).toEqual({ kind: "none" });
  });
});

describe("syncLabel", () => {
  it("says syncing or offline-with-changes while local changes wait", () => {
    expect(syncLabel({ state: "ok", pending: 0 })).toEqual({ key: "sync_ok", n: 0, look: "ok" });
    expect(syncLabel({ state: "ok", pending: 2 })).toEqual({ key: "sync_syncing", n: 2, look: "syncing" });
    expect(syncLabel({ state: "offline", pending: 3 })).toEqual({ key: "sync_offlinePending", n: 3, look: "offline" });
    expect(syncLabel({ state: "offline", pending: 0 })).toEqual({ key: "sync_offline", n: 0, look: "offline" });
    expect(syncLabel({ state: "conflict", pending: 1 })).toEqual({ key: "sync_conflict", n: 1, look: "conflict" });
  });
  it("counts the refused changes kept here", () => {
    expect(syncLabel({ state: "refused", pending: 0, refused: 2 })).toEqual({ key: "sync_refused", n: 2, look: "refused" });
  });

  it("names the items that could not be taken once everything else is synced", () => {
    expect(syncLabel({ state: "ok", pending: 0, skipped: 2, skippedTitles: ["尺码表", "色卡"] })).toEqual({
      key: "sync_skipped",
      n: 2,
      look: "skipped",
      titles: "尺码表、色卡",
    });
    expect(syncLabel({ state: "ok", pending: 0, skipped: 12, skippedTitles: ["a", "b"] }).titles).toBe("a、b…");
    // Sending local changes, or a worse state, is shown first (the tooltip lists the skips).
    expect(syncLabel({ state: "ok", pending: 1, skipped: 2 }).key).toBe("sync_syncing");
    expect(syncLabel({ state: "offline", pending: 0, skipped: 2 }).key).toBe("sync_offline");
    expect(syncLabel({ state: "ok", pending: 0, skipped: 0 }).key).toBe("sync_ok");
  });
});

describe("feedback after a fire", () => {
  const out = (index: number, total: number, pasted = false) => ({ title: "尺码表图文", index, total, pasted });

  it("offers the next part until the last one, and never after it", () => {
    expect(outcomeMessage(out(1, 3), "Ctrl+Alt+N")).toEqual({
      key: "copiedPart",
      params: { index: 1, total: 3, title: "尺码表图文", hotkey: "Ctrl+Alt+N" },
    });
    expect(outcomeMessage(out(2, 3), "Ctrl+Alt+N").key).toBe("copiedPart");
    expect(outcomeMessage(out(3, 3), "Ctrl+Alt+N")).toEqual({ key: "copiedLastPart", params: { index: 3, total: 3, title: "尺码表图文" } });
    expect(outcomeMessage(out(1, 1), "Ctrl+Alt+N").key).toBe("copied");
    expect(outcomeMessage(out(3, 3, true), "Ctrl+Alt+N").key).toBe("pasted");
  });

  it("explains the 2×/3× badge with the kinds of the parts", () => {
    expect(partKinds(["text", "image", "text"], "文字", "图片")).toBe("文字 → 图片 → 文字");
  });
});

describe("short panels", () => {
  it("collapse the preview so that the list keeps the height", () => {
    expect(showPreview(560)).toBe(true);
    expect(showPreview(480)).toBe(true);
    expect(showPreview(479)).toBe(false);
    expect(showPreview(360)).toBe(false);
  });
});
