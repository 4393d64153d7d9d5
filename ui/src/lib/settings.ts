// The settings window's logic without the DOM: the key recorder (a pressed combination
// as the hotkey string the app's hotkey code parses, `settings::normalize_hotkey`),
// the sections and which field lives in which, the keys that move between sections,
// and merging settings saved elsewhere into a form being edited.
import type { Key } from "./i18n";
import type { Settings } from "./api";

/** A key press as the recorder reads it (a `KeyboardEvent`'s fields). */
export interface KeyPress {
  key: string;
  code: string;
  ctrl: boolean;
  alt: boolean;
  shift: boolean;
  meta: boolean;
}

/** What a key press in the recorder means. */
export type Recorded =
  /** Tab / Shift+Tab: move on, record nothing. */
  | { kind: "pass" }
  /** Esc: stop recording, keep the hotkey it had. */
  | { kind: "cancel" }
  /** Backspace / Delete: no hotkey. */
  | { kind: "clear" }
  /** Only modifiers so far ("Ctrl+Alt+"), shown while held. */
  | { kind: "partial"; text: string }
  /** A key that needs Ctrl, Alt or Super with it. */
  | { kind: "needsModifier"; key: string }
  /** A key the app's hotkeys cannot use (punctuation, numpad…). */
  | { kind: "unusable"; key: string }
  | { kind: "combo"; hotkey: string };

const MODIFIER_KEYS = new Set(["Control", "Alt", "AltGraph", "Shift", "Meta", "Super", "Hyper", "OS"]);

/** Key names the app's hotkeys use, as `normalize_hotkey` writes them. */
const NAMED: Record<string, string> = {
  " ": "Space",
  Enter: "Enter",
  Tab: "Tab",
  Escape: "Escape",
  Backspace: "Backspace",
  ArrowUp: "Up",
  ArrowDown: "Down",
  ArrowLeft: "Left",
  ArrowRight: "Right",
  Home: "Home",
  End: "End",
  PageUp: "Pageup",
  PageDown: "Pagedown",
  Insert: "Insert",
  Delete: "Delete",
};

/** Keys that type something: with Shift alone they would still take typing away. */
const TYPING = new Set(["Space", "Enter", "Tab", "Backspace", "Delete"]);

/** The key's name in a hotkey, or null when hotkeys cannot use it. The character typed
 *  wins for letters and digits (the keyboard layout's A is the A), the physical key
 *  when a modifier changed the character (Shift+1 types "!"). */
export function keyName(key: string, code: string): string | null {
  // The app's hotkeys know the main keyboard's digits, not the keypad's.
  if (code.startsWith("Numpad")) return null;
  if (code === "Space") return "Space";
  if (key in NAMED) return NAMED[key] ?? null;
  if (/^F([1-9]|1\d|2[0-4])$/.test(key)) return key;
  if (/^[a-z0-9]$/i.test(key)) return key.toUpperCase();
  const letter = /^Key([A-Z])$/.exec(code);
  if (letter) return letter[1] ?? null;
  const digit = /^Digit(\d)$/.exec(code);
  if (digit) return digit[1] ?? null;
  return null;
}

function modifiers(k: KeyPress): string[] {
  return [k.ctrl && "Ctrl", k.alt && "Alt", k.shift && "Shift", k.meta && "Super"].filter((m): m is string => !!m);
}

/** What pressing `k` in the recorder does. */
export function record(k: KeyPress): Recorded {
  const strong = k.ctrl || k.alt || k.meta;
  if (k.key === "Tab" && !strong) return { kind: "pass" };
  if (k.key === "Escape" && !strong && !k.shift) return { kind: "cancel" };
  if ((k.key === "Backspace" || k.key === "Delete") && !strong && !k.shift) return { kind: "clear" };
  const mods = modifiers(k);
  if (MODIFIER_KEYS.has(k.key)) return { kind: "partial", text: mods.length ? `${mods.join("+")}+` : "" };
  const name = keyName(k.key, k.code);
  const shown = k.key === " " ? "Space" : k.key;
  if (!name) return { kind: "unusable", key: shown };
  const typing = /^[A-Z0-9]$/.test(name) || TYPING.has(name);
  if (!strong && (!k.shift || typing)) return { kind: "needsModifier", key: mods.length ? `${mods.join("+")}+${name}` : name };
  return { kind: "combo", hotkey: [...mods, name].join("+") };
}

/** The sections of the window, in the order of the side list (Ctrl+1…7). */
export const SECTIONS = ["general", "hotkeys", "paste", "dock", "profiles", "team", "look"] as const;
export type Section = (typeof SECTIONS)[number];

export const SECTION_KEYS: Record<Section, Key> = {
  general: "sec_general",
  hotkeys: "sec_hotkeys",
  paste: "sec_paste",
  dock: "sec_dock",
  profiles: "sec_profiles",
  team: "sec_team",
  look: "sec_look",
};

/** The section showing a field a save complained about (`Problem.field` from the app);
 *  null for what belongs to no field ("general": shown by the save button). */
export function sectionOf(field: string): Section | null {
  if (field === "hotkey" || field === "nextPartHotkey" || field.startsWith("favourite.")) return "hotkeys";
  if (field.startsWith("profile.")) return "profiles";
  if (field === "language" || field === "startAtLogin" || field === "paused") return "general";
  if (field === "theme") return "look";
  if (field === "mode" || field === "dockSide") return "dock";
  if (["autoPaste", "autoPasteChatApps", "pressEnter", "restoreClipboard"].includes(field)) return "paste";
  return null;
}

/** Where a key in the side list moves the selection (null: the key is not the list's). */
export function listMove(key: string, current: number, count = SECTIONS.length): number | null {
  switch (key) {
    case "ArrowDown":
      return (current + 1) % count;
    case "ArrowUp":
      return (current - 1 + count) % count;
    case "Home":
      return 0;
    case "End":
      return count - 1;
    default:
      return null;
  }
}

/** Ctrl+1…7 anywhere in the window: the section's index, else null. */
export function sectionShortcut(k: Pick<KeyPress, "key" | "code" | "ctrl" | "alt" | "meta">): number | null {
  if (!k.ctrl || k.alt || k.meta) return null;
  const digit = /^Digit([1-9])$/.exec(k.code)?.[1] ?? (/^[1-9]$/.test(k.key) ? k.key : undefined);
  const n = Number(digit);
  return digit && n <= SECTIONS.length ? n - 1 : null;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Whether the form holds changes not saved. */
export function unsaved(draft: Settings, saved: Settings): boolean {
  return (Object.keys(saved) as (keyof Settings)[]).some((k) => !same(draft[k], saved[k]));
}

/** Settings saved elsewhere (the panel's favourite star or scope switch, the tray's
 *  pause) while the form is open: each setting the form has not changed takes the new
 *  value, so saving the form later does not undo them; the form's own changes stay. */
export function rebase(draft: Settings, before: Settings, after: Settings): Settings {
  const out = { ...draft } as Record<keyof Settings, unknown>;
  for (const k of Object.keys(after) as (keyof Settings)[]) {
    if (same(draft[k], before[k])) out[k] = structuredClone(after[k]);
  }
  return out as unknown as Settings;
}
