// The editor's history list (a reply's versions kept by the sync server): keys and what
// may be restored, free of the DOM so that it is unit-tested.

export type HistoryAction = { kind: "close" } | { kind: "move"; by: number } | { kind: "restore"; index: number } | { kind: "none" };

export interface VersionLike {
  deleted: boolean;
}

/** Whether version `index` of a newest-first list can be restored: not the newest (that
 * is the reply as it is), not a deletion, and only by someone who may edit the library. */
export function canRestore(versions: VersionLike[], index: number, writable: boolean): boolean {
  const v = versions[index];
  return writable && index > 0 && v !== undefined && !v.deleted;
}

/** What a key does in the history list. */
export function historyKey(key: string, selected: number, versions: VersionLike[], writable: boolean): HistoryAction {
  if (key === "Escape") return { kind: "close" };
  if (key === "ArrowDown") return { kind: "move", by: 1 };
  if (key === "ArrowUp") return { kind: "move", by: -1 };
  if (key === "Enter" && canRestore(versions, selected, writable)) return { kind: "restore", index: selected };
  return { kind: "none" };
}

/** Unix ms as `2026-11-23 20:15` in local time. */
export function when(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}
