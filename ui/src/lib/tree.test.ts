import { describe, expect, it } from "vitest";
import { dateGroup, datesLabel, headingAbove, rowOf, scrollToShow, stepReply, treeRows, visibleWindow, type TreeReply } from "./tree";

const reply = (i: number, folder: string): TreeReply => ({ id: `id${i}`, title: `话术${i}`, code: null, folder, parts: 1 });

/** A library of `n` replies spread over a few folders, as the editor gets it. */
function library(n: number): TreeReply[] {
  const folders = ["发货", "退货", "售后", "尺码"];
  return Array.from({ length: n }, (_, i) => reply(i, folders[i % folders.length] ?? ""));
}

describe("treeRows", () => {
  it("puts each folder before its replies, root first, empty folders kept but not an empty root", () => {
    const rows = treeRows([reply(1, "发货"), reply(2, ""), reply(3, "发货")], ["发货", "空文件夹"], null);
    expect(rows.map((r) => r.key)).toEqual(["f:", "id2", "f:发货", "id1", "id3", "f:空文件夹"]);
    expect(treeRows([reply(1, "a")], [], null).map((r) => r.key)).toEqual(["f:a", "id1"]);
  });

  it("shows only the search's matches, best folder first and replies by rank", () => {
    const rows = treeRows([reply(1, "a"), reply(2, "b"), reply(3, "a"), reply(4, "b")], ["a", "b"], ["id4", "id1", "id2", "gone"]);
    expect(rows.map((r) => r.key)).toEqual(["f:b", "id4", "id2", "f:a", "id1"]);
    expect(treeRows([reply(1, "a")], ["a"], [])).toEqual([]);
  });
});

describe("date groups", () => {
  const dated = (i: number, folder: string, status: "active" | "upcoming" | "expired"): TreeReply => ({
    ...reply(i, folder),
    dates: { status, start: status === "upcoming" ? "2027-01-20" : null, end: "2027-02-10" },
  });

  it("lists replies outside their dates apart, 未生效 then 已过期, each keeping its folder", () => {
    const rs = [dated(1, "活动", "expired"), reply(2, "活动"), dated(3, "节日", "upcoming"), dated(4, "", "active"), dated(5, "节日", "expired")];
    const rows = treeRows(rs, ["活动", "节日"], null);
    expect(rows.map((r) => r.key)).toEqual(["f:", "id4", "f:活动", "id2", "f:节日", "g:upcoming", "id3", "g:expired", "id1", "id5"]);
    const five = rows.find((r) => r.key === "id5");
    expect(five?.kind === "reply" ? five.folder : null).toBe("节日");
    // The first reply of a group has the group's heading above it; ↓ walks through them.
    expect(headingAbove(rows, rows.findIndex((r) => r.key === "id3"))).toBe(1);
    expect(stepReply(rows, "id2", 1)).toBe("id3");
    expect(stepReply(rows, "id3", 1)).toBe("id1");
  });

  it("keeps the groups in a search, after the folders", () => {
    const rs = [dated(1, "活动", "expired"), reply(2, "活动")];
    expect(treeRows(rs, ["活动"], ["id1", "id2"]).map((r) => r.key)).toEqual(["f:活动", "id2", "g:expired", "id1"]);
    expect(treeRows([dated(1, "a", "expired")], [], ["id1"]).map((r) => r.key)).toEqual(["g:expired", "id1"]);
  });

  it("says which group and the window", () => {
    expect(dateGroup(reply(1, ""))).toBeNull();
    expect(dateGroup(dated(1, "", "active"))).toBeNull();
    expect(dateGroup(dated(1, "", "upcoming"))).toBe("upcoming");
    expect(datesLabel({ status: "expired", start: null, end: "2026-11-12" })).toBe("… → 2026-11-12");
    expect(datesLabel({ status: "upcoming", start: "2027-01-20", end: "2027-02-10" })).toBe("2027-01-20 → 2027-02-10");
  });
});

describe("visibleWindow", () => {
  it("draws only the rows in view and a few around them, whatever the size of the library", () => {
    const rows = treeRows(library(5000), [], null);
    const w = visibleWindow(rows.length, 28, 0, 560, 8);
    expect(w.start).toBe(0);
    expect(w.end - w.start).toBeLessThan(40);
    expect(w.before).toBe(0);
    expect(w.after).toBe((rows.length - w.end) * 28);
    // Scrolled to the middle: rows around the position, and the space of the others kept.
    const mid = visibleWindow(rows.length, 28, 28 * 2500, 560, 8);
    expect(mid.start).toBe(2492);
    expect(mid.end).toBe(2500 + 21 + 8);
    expect(mid.before + (mid.end - mid.start) * 28 + mid.after).toBe(rows.length * 28);
    // The same for 100 000 replies.
    const big = visibleWindow(100_004, 28, 28 * 100_000, 560, 8);
    expect(big.end).toBe(100_004);
    expect(big.end - big.start).toBeLessThan(40);
  });

  it("copes with an empty list, a scroll past the end and a viewport not laid out yet", () => {
    expect(visibleWindow(0, 28, 0, 560)).toEqual({ start: 0, end: 0, before: 0, after: 0 });
    const past = visibleWindow(10, 28, 99999, 560, 2);
    expect(past.end).toBe(10);
    expect(past.start).toBeLessThanOrEqual(past.end);
    expect(visibleWindow(100, 28, 0, 0, 0).end).toBe(2);
  });
});

describe("keyboard through a long tree", () => {
  it("steps reply by reply over folder rows to the last reply, and scrolls it into view", () => {
    const rows = treeRows(library(3000), [], null);
    let id: string | null = null;
    let scrollTop = 0;
    const view = 560;
    let steps = 0;
    for (;;) {
      const next = stepReply(rows, id, 1);
      if (next === id) break;
      id = next;
      scrollTop = scrollToShow(rowOf(rows, id), 28, scrollTop, view);
      steps++;
      // The selected row is always inside the drawn window.
      const w = visibleWindow(rows.length, 28, scrollTop, view);
      const at = rowOf(rows, id);
      expect(at).toBeGreaterThanOrEqual(w.start);
      expect(at).toBeLessThan(w.end);
    }
    expect(steps).toBe(3000);
    const last = rows[rows.length - 1];
    expect(last?.kind === "reply" && last.reply.id).toBe(id);
    expect(scrollTop).toBe(rows.length * 28 - view);
    // A jump to the end (End) and back to the start (Home).
    expect(stepReply(rows, "id0", Infinity)).toBe(id);
    expect(stepReply(rows, id, -Infinity)).toBe(stepReply(rows, null, 1));
  });

  it("shows the folder heading with a folder's first reply when scrolling up to it (Home)", () => {
    const rows = treeRows(library(100), [], null);
    const first = rowOf(rows, stepReply(rows, "id99", -Infinity));
    expect(first).toBe(1);
    expect(scrollToShow(first, 28, 2000, 560, headingAbove(rows, first))).toBe(0);
    expect(headingAbove(rows, 2)).toBe(0);
  });

  it("scrolls only when the row is not fully in view", () => {
    expect(scrollToShow(5, 28, 0, 560)).toBe(0);
    expect(scrollToShow(30, 28, 0, 560)).toBe(31 * 28 - 560);
    expect(scrollToShow(2, 28, 200, 560)).toBe(56);
  });

  it("finds no row for a reply the filter hides", () => {
    const rows = treeRows(library(10), [], ["id3"]);
    expect(rowOf(rows, "id4")).toBe(-1);
    expect(rowOf(rows, "id3")).toBe(1);
    expect(stepReply(rows, "id4", 1)).toBe("id3");
    expect(stepReply([], null, 1)).toBeNull();
  });
});
