// The panel's keyboard logic, free of the DOM and of Tauri so that it is unit-tested.

export interface KeyInput {
  key: string;
  ctrl: boolean;
  alt: boolean;
  shift: boolean;
  /** `KeyboardEvent.code` (`KeyA`), which Alt does not change on any layout. */
  code?: string;
  /** The key belongs to an input method's composition ([`imeOwns`]): it does nothing. */
  composing?: boolean;
}

export type Action =
  | { kind: "move"; by: number }
  | { kind: "fire"; index: number }
  | { kind: "clear" }
  | { kind: "hide" }
  | { kind: "settings" }
  | { kind: "setup" }
  | { kind: "editor" }
  | { kind: "favourite"; index: number }
  | { kind: "scope"; scope: Scope }
  /** The search found nothing: a new reply titled as the query (新建此话术). */
  | { kind: "create" }
  | { kind: "none" };

/** The panel's personal / team / all switch (settings `scope`). */
export type Scope = "all" | "personal" | "team";

/** The switch's choices in order, each with its Alt key. */
export const SCOPES: { scope: Scope; key: string }[] = [
  { scope: "all", key: "A" },
  { scope: "personal", key: "P" },
  { scope: "team", key: "T" },
];

export interface PanelView {
  query: string;
  count: number;
  selected: number;
  /** The last key moved the selection (digits then pick rows instead of typing). */
  listMode: boolean;
}

/** What a key press in the panel does. */
export function keyAction(k: KeyInput, v: PanelView): Action {
  // Enter that commits pinyin, digits that pick a candidate, Esc that cancels it: all
  // the input method's, never a fire.
  if (k.composing) return { kind: "none" };
  if (k.key === "Escape") return v.query ? { kind: "clear" } : { kind: "hide" };
  if (k.key === "ArrowDown" || (k.ctrl && k.key === "n")) return { kind: "move", by: 1 };
  if (k.key === "ArrowUp" || (k.ctrl && k.key === "p")) return { kind: "move", by: -1 };
  if (k.key === "PageDown") return { kind: "move", by: 5 };
  if (k.key === "PageUp") return { kind: "move", by: -5 };
  if (k.key === "Enter") {
    if (v.count > 0) return { kind: "fire", index: v.selected };
    return v.query.trim() !== "" ? { kind: "create" } : { kind: "none" };
  }
  if (k.ctrl && k.key === ",") return { kind: "settings" };
  if (k.ctrl && (k.key === "e" || k.key === "E")) return { kind: "editor" };
  // Ctrl+I: the shop setup (店铺设置), the first-run screen opened again.
  if (k.ctrl && !k.alt && (k.key === "i" || k.key === "I")) return { kind: "setup" };
  if (k.ctrl && (k.key === "d" || k.key === "D")) {
    return v.count > 0 ? { kind: "favourite", index: v.selected } : { kind: "none" };
  }
  // Alt+A / Alt+P / Alt+T: all / personal / team (Ctrl and Alt with digits fire rows).
  if (k.alt && !k.ctrl && !k.shift) {
    const letter = (k.code?.startsWith("Key") ? k.code.slice(3) : k.key).toUpperCase();
    const s = SCOPES.find((c) => c.key === letter);
    if (s) return { kind: "scope", scope: s.scope };
  }
  if (/^[1-9]$/.test(k.key) && !k.shift && (k.alt || k.ctrl || digitsFire(v))) {
    const index = Number(k.key) - 1;
    return index < v.count ? { kind: "fire", index } : { kind: "none" };
  }
  return { kind: "none" };
}

/** Whether a digit alone fires the Nth row now: in list mode (after ↑↓) and on an empty
 * query; otherwise digits are typed into the search (order numbers, 3 件). */
export function digitsFire(v: Pick<PanelView, "query" | "listMode">): boolean {
  return v.listMode || v.query === "";
}

/** The keys the footer names for "send the Nth row": what fires it in this state. */
export function digitKeys(v: Pick<PanelView, "query" | "listMode">): string {
  return digitsFire(v) ? "1–9" : "Alt+1–9";
}

/** What the status line says after a fire (the i18n key and its values). The last part
 * of a multi-part reply offers no next one. */
export function outcomeMessage(
  out: { title: string; index: number; total: number; pasted: boolean },
  hotkey: string,
): { key: "pasted" | "copiedPart" | "copiedLastPart" | "copied"; params: Record<string, string | number> } {
  if (out.pasted) return { key: "pasted", params: { title: out.title } };
  if (out.total > 1 && out.index < out.total)
    return { key: "copiedPart", params: { index: out.index, total: out.total, title: out.title, hotkey } };
  if (out.total > 1) return { key: "copiedLastPart", params: { index: out.index, total: out.total, title: out.title } };
  return { key: "copied", params: { title: out.title } };
}

/** Below this height (CSS pixels) the panel shows no preview box and no key help in its
 * footer: the header, the switch, the context line and the footer take about 180 px, the
 * preview up to 30 % of the rest; below 480 px that would leave the results fewer than
 * three rows (a row is about 75 px). So beside a short chat window the list gets the
 * height (each row still shows the reply's first line with its variables filled in, and
 * the keys are the same). */
export const PREVIEW_MIN_HEIGHT = 480;

/** Whether the preview box (and the footer's key help) shows in a panel `height` CSS
 * pixels tall. */
export function showPreview(height: number): boolean {
  return height >= PREVIEW_MIN_HEIGHT;
}

/** The kinds of a reply's parts in order, as the 2×/3× badge's tooltip lists them. */
export function partKinds(parts: ("text" | "image")[], text: string, image: string): string {
  return parts.map((p) => (p === "image" ? image : text)).join(" → ");
}

/** The parts of a `KeyboardEvent` that tell an input method's keys apart. */
export interface ImeKey {
  isComposing?: boolean;
  keyCode?: number;
  key?: string;
}

/** Whether the event itself says an input method (pinyin, wubi…) handles this key:
 * `isComposing`, or keyCode 229 / key `Process`, which is what WebKit and Chromium send
 * for a key the input method took — also for the Enter that commits the text, which
 * WebKit delivers after `compositionend`. */
export function imeKey(e: ImeKey): boolean {
  return e.isComposing === true || e.keyCode === 229 || e.key === "Process";
}

/** Follows an input method's composition on `target` (the panel's window), so that keys
 * pressed while it composes are left to it even when an engine or a WebKit port does not
 * mark them: from `compositionstart` to `compositionend`, and the key that arrives in the
 * same turn of the event loop as `compositionend` (the Enter or digit that committed). */
export class Composition {
  private active = false;
  private justEnded = false;

  constructor(target: EventTarget) {
    target.addEventListener("compositionstart", () => (this.active = true), true);
    target.addEventListener(
      "compositionend",
      () => {
        this.active = false;
        this.justEnded = true;
        setTimeout(() => (this.justEnded = false), 0);
      },
      true,
    );
  }

  /** Whether the input method, not the panel, owns this key press. */
  owns(e: ImeKey): boolean {
    return this.active || this.justEnded || imeKey(e);
  }
}

/** The selection after moving `by` rows, wrapping around the ends. */
export function moveSelection(selected: number, by: number, count: number): number {
  if (count <= 0) return 0;
  if (Math.abs(by) > 1) return Math.min(Math.max(selected + by, 0), count - 1);
  return (((selected + by) % count) + count) % count;
}

/** The first free favourite hotkey, Ctrl+Alt+1 … Ctrl+Alt+9. */
export function nextFavouriteHotkey(taken: string[]): string | null {
  for (let i = 1; i <= 9; i++) {
    const k = `Ctrl+Alt+${i}`;
    if (!taken.includes(k)) return k;
  }
  return null;
}

/** The query kept per chat window, so that each docked panel keeps its own search. */
export class PerWindow<T> {
  private map = new Map<string, T>();
  constructor(private fallback: T) {}
  get(id: number | null | undefined): T {
    return this.map.get(String(id ?? "none")) ?? this.fallback;
  }
  set(id: number | null | undefined, value: T): void {
    this.map.set(String(id ?? "none"), value);
  }
}

/** Move the item at `from` by `by` places (clamped); returns a new array. */
export function moveItem<T>(list: T[], from: number, by: number): T[] {
  const to = Math.min(Math.max(from + by, 0), list.length - 1);
  if (from < 0 || from >= list.length || to === from) return list.slice();
  const out = list.slice();
  const [item] = out.splice(from, 1);
  out.splice(to, 0, item);
  return out;
}

/** The order of a folder after dropping `moved` before `before` (or at the end). */
export function dropOrder(ids: string[], moved: string, before: string | null): string[] {
  const rest = ids.filter((i) => i !== moved);
  const at = before === null ? rest.length : rest.indexOf(before);
  rest.splice(at < 0 ? rest.length : at, 0, moved);
  return rest;
}

/** Tags typed as "a, b，c" → ["a", "b", "c"]. */
export function parseTags(s: string): string[] {
  return s
    .split(/[,，、]/)
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

/** What the sync indicator shows: the state's words, or — while local changes wait to
 * be sent — "syncing" or "offline, N kept here"; refused changes kept here are counted
 * until fixed or discarded; when all went well but some items could not be taken
 * (`skipped`), how many and which (`titles`). `look` is its CSS class. */
export function syncLabel(v: {
  state: string;
  pending: number;
  refused?: number;
  skipped?: number;
  skippedTitles?: string[];
}): { key: string; n: number; look: string; titles?: string } {
  if (v.state === "refused") return { key: "sync_refused", n: v.refused ?? 0, look: "refused" };
  if (v.pending > 0 && v.state === "ok") return { key: "sync_syncing", n: v.pending, look: "syncing" };
  if (v.state === "ok" && (v.skipped ?? 0) > 0) {
    const shown = v.skippedTitles ?? [];
    const more = (v.skipped ?? 0) > shown.length ? "…" : "";
    return { key: "sync_skipped", n: v.skipped ?? 0, look: "skipped", titles: shown.join("、") + more };
  }
  if (v.pending > 0 && v.state === "offline") return { key: "sync_offlinePending", n: v.pending, look: "offline" };
  return { key: `sync_${v.state}`, n: v.pending, look: v.state };
}
