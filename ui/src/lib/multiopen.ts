// 多开 in Settings → 应用配置 (Windows only): which chat programs can be started once
// more, how many run now, and the one-time confirmation of the risk before the first.
import type { Key } from "./i18n";
import { t } from "./i18n";

export type Family = "weChat" | "weCom";
export type ChatApp = "weChat" | "weixin" | "weCom";

export interface FamilyView {
  family: Family;
  /** The program that would be started; null: not found. */
  app: ChatApp | null;
  path: string | null;
  /** The program picked by hand, if any. */
  chosen: string | null;
  /** How many instances run now. */
  running: number;
}

export interface MultiView {
  /** False on Linux and macOS: the block is not shown there. */
  supported: boolean;
  confirmed: boolean;
  families: FamilyView[];
}

export interface Started {
  pid: number;
  technique: "hold" | "close";
}

const FAMILY_KEYS: Record<Family, Key> = { weChat: "multiWechat", weCom: "multiWecom" };
const APP_KEYS: Record<ChatApp, Key> = { weChat: "multiAppWechat3", weixin: "multiAppWechat4", weCom: "multiAppWecom" };

export function familyName(f: Family): string {
  return t(FAMILY_KEYS[f]);
}

/** 再开一个微信（已开 2 个）: the button, the same words as the tray's entry. */
export function startLabel(f: FamilyView): string {
  return t("multiStart", { name: familyName(f.family), n: f.running });
}

/** Which program was found, or that none was. */
export function foundLine(f: FamilyView): string {
  if (!f.app || !f.path) return t("multiNotFound", { name: familyName(f.family) });
  return t("multiFound", { app: t(APP_KEYS[f.app]), path: f.path });
}

/** The families the block shows: none where 多开 is not offered. */
export function shownFamilies(v: MultiView | null): FamilyView[] {
  return v?.supported ? v.families : [];
}

/** Whether a start must first show the risk and be confirmed. */
export function needsConfirm(v: MultiView | null): boolean {
  return !v?.confirmed;
}

/** The status line after a start. */
export function startedLine(f: Family, s: Started): string {
  return t(s.technique === "hold" ? "multiStartedHold" : "multiStartedClose", { name: familyName(f), pid: s.pid });
}
