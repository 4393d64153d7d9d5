// The theme and the language of a window, from the settings, kept current: a switch
// saved in one window reaches every open window through the `settings-changed` event,
// and a theme that follows the system follows it while the window is open.
import { on, type Settings } from "./api";
import { setLang } from "./i18n";

export type Theme = Settings["theme"];

/** Whether the dark theme shows for `theme` on a system that prefers dark or not. */
export function isDark(theme: Theme, systemDark: boolean): boolean {
  return theme === "dark" || (theme === "system" && systemDark);
}

const systemDark = () => window.matchMedia("(prefers-color-scheme: dark)");
let last: Pick<Settings, "theme" | "language"> | null = null;

/** Show this window in the theme and language of `s`. */
export function applyLook(s: Pick<Settings, "theme" | "language">): void {
  last = s;
  document.documentElement.classList.toggle("dark", isDark(s.theme, systemDark().matches));
  setLang(s.language);
}

/** Follow the settings saved in any window and the system's theme; `changed` hears
 *  each new settings too. Returns the function that stops following. */
export function followLook(changed?: (s: Settings) => void): () => void {
  const mq = systemDark();
  const onSystem = () => {
    if (last) applyLook(last);
  };
  mq.addEventListener("change", onSystem);
  const off = on<Settings>("settings-changed", (s) => {
    applyLook(s);
    changed?.(s);
  });
  return () => {
    mq.removeEventListener("change", onSystem);
    off.then((f) => f());
  };
}
