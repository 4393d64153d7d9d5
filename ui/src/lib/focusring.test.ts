import { describe, expect, it } from "vitest";
import appCss from "../app.css?raw";
import { focusKey } from "./focusring";

describe("focus rings", () => {
  it("count the keys that move the focus as keyboard use, not typing", () => {
    for (const k of ["Tab", "Enter", " ", "ArrowDown", "Escape"]) expect(focusKey(k), k).toBe(true);
    for (const k of ["a", "1", "Shift"]) expect(focusKey(k), k).toBe(false);
  });

  it("ring every focused control in the accent colour, for keyboard focus", () => {
    const ring = /\{\s*outline:\s*2px solid var\(--accent\);/;
    const rule = appCss.slice(appCss.indexOf(":where(button, input, select, textarea"));
    expect(rule).toMatch(/:focus-visible/);
    expect(rule).toContain(":root.keyboard :where(button, input, select, textarea");
    expect(rule).toMatch(ring);
  });

  it("are taken away by no part of the panel (no outline: none without a ring of its own)", () => {
    const panel = ["App", "HitRow", "EmptyResult", "PanelPreview", "QueueNote", "Thumb", "Note"].map((n) => `../${n}.svelte`);
    const components = import.meta.glob<string>("../*.svelte", { query: "?raw", import: "default", eager: true });
    const bare: string[] = [];
    for (const [file, src] of Object.entries(components).filter(([f]) => panel.includes(f))) {
      const css = src.match(/<style>([\s\S]*?)<\/style>/)?.[1] ?? "";
      for (const rule of css.matchAll(/([^{}]+)\{([^}]*)\}/g))
        if (/outline:\s*(none|0)\b/.test(rule[2]) && !/box-shadow/.test(rule[2])) bare.push(`${file} ${rule[1].trim()}`);
    }
    expect(bare).toEqual([]);
    // Before: the search box took its outline away (App.svelte `header input`).
    expect(components["../App.svelte"]).not.toMatch(/header input \{[^}]*outline:\s*none/);
  });
});
