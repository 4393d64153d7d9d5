// The import dialog's per-line report: the same lines, in the same order and with the
// same labels, as `qreply import --preview` prints them (crates/cli/src/main.rs,
// print_import_lines): the reader's remarks first (skipped: not imported; note:
// imported, with a remark), then one line per reply of the plan.
import type { Preview, PreviewItem } from "./api";
import type { Key } from "./i18n";

export type LineKind = PreviewItem["status"] | "note";

export interface ReportLine {
  kind: LineKind;
  /** "folder / title" for a reply; empty for a remark on a row. */
  what: string;
  /** Where it comes from: file:line (or the place in an archive). */
  origin: string;
  /** Why it was skipped, or the remark; empty when there is none. */
  note: string;
}

export const lineLabel: Record<LineKind, Key> = {
  new: "statusNew",
  changed: "statusChanged",
  unchanged: "statusUnchanged",
  conflicting: "statusConflicting",
  skipped: "statusSkipped",
  note: "statusNote",
};

export function reportLines(p: Preview): ReportLine[] {
  const remarks: ReportLine[] = p.remarks.map((r) => ({ kind: r.kind, what: "", origin: r.origin, note: r.reason }));
  const items: ReportLine[] = p.items.map((i) => ({
    kind: i.status,
    what: i.status === "skipped" && !i.title ? i.folder : i.folder ? `${i.folder} / ${i.title}` : i.title,
    origin: i.origin,
    note: i.note ?? "",
  }));
  return [...remarks, ...items];
}

/** Whether a line needs the user's eye (shown highlighted): not imported, or a remark. */
export function needsAttention(l: ReportLine): boolean {
  return l.kind === "skipped" || l.kind === "note" || l.kind === "conflicting";
}

/** The numbers of the summary line (`previewCounts`). */
export function countsOf(p: Preview): Record<string, number> {
  return { new: p.new, changed: p.changed, unchanged: p.unchanged, conflicting: p.conflicting, skipped: p.skipped, notes: p.notes };
}
