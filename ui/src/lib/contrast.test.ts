// Both themes readable everywhere (#19 item 6): every text colour of app.css against
// every surface it can sit on meets WCAG AA (4.5:1, small text included: the footer
// hints are 11px), the components take their colours only from those tokens, and the
// native controls (checkboxes, radios, selects, buttons) follow the theme.
import { describe, expect, it } from "vitest";
import appCss from "../app.css?raw";
import { contrastRatio, cssBlock, cssVars } from "./contrast";

const components = import.meta.glob<string>("../*.svelte", { query: "?raw", import: "default", eager: true });

/** Colours text is written in. */
const TEXT = ["fg", "muted", "accent", "team", "ok", "info", "warn", "error"];
/** Colours text is written on. */
const SURFACES = ["bg", "sel", "chip"];

const themes = {
  light: cssVars(cssBlock(appCss, ":root")),
  dark: { ...cssVars(cssBlock(appCss, ":root")), ...cssVars(cssBlock(appCss, ":root.dark")) },
};

function styles(): [string, string][] {
  return Object.entries(components).map(([file, src]) => [file, src.match(/<style>([\s\S]*?)<\/style>/)?.[1] ?? ""]);
}

describe("contrast", () => {
  it("computes WCAG ratios", () => {
    expect(contrastRatio("#000000", "#ffffff")).toBeCloseTo(21, 5);
    expect(contrastRatio("#fff", "#fff")).toBeCloseTo(1, 5);
    expect(contrastRatio("#767676", "#ffffff")).toBeCloseTo(4.54, 2);
  });

  for (const [name, vars] of Object.entries(themes)) {
    it(`${name}: every text colour on every surface is at least 4.5:1`, () => {
      const low: string[] = [];
      for (const fg of TEXT)
        for (const bg of SURFACES) {
          const a = vars[fg];
          const b = vars[bg];
          if (!/^#[0-9a-f]{6}$/i.test(a ?? "") || !/^#[0-9a-f]{6}$/i.test(b ?? "")) {
            low.push(`--${fg} ${a} or --${bg} ${b} is not a #rrggbb colour`);
            continue;
          }
          const ratio = contrastRatio(a, b);
          if (ratio < 4.5) low.push(`--${fg} ${a} on --${bg} ${b}: ${ratio.toFixed(2)}`);
        }
      const onAccent = contrastRatio(vars["accent-fg"], vars.accent);
      if (onAccent < 4.5) low.push(`--accent-fg on --accent: ${onAccent.toFixed(2)}`);
      expect(low).toEqual([]);
    });
  }

  for (const [name, vars] of Object.entries(themes)) {
    it(`${name}: the edges of fields, checkboxes and radios are at least 3:1 on every surface`, () => {
      const low: string[] = [];
      for (const edge of ["control", "accent"])
        for (const bg of SURFACES) {
          const ratio = contrastRatio(vars[edge], vars[bg]);
          if (ratio < 3) low.push(`--${edge} ${vars[edge]} on --${bg} ${vars[bg]}: ${ratio.toFixed(2)}`);
        }
      expect(low).toEqual([]);
    });
  }

  it("draws checkboxes and radios with a visible edge", () => {
    const box = cssBlock(appCss, ':where(input[type="checkbox"], input[type="radio"])');
    expect(box).toMatch(/appearance:\s*none/);
    expect(box).toMatch(/border:[^;]*var\(--control\)/);
    expect(cssBlock(appCss, ':where(input[type="checkbox"], input[type="radio"]):checked')).toMatch(
      /background-color:\s*var\(--accent\)/,
    );
    expect(cssBlock(appCss, ':where(select, textarea, input:not([type="checkbox"], [type="radio"]))')).toMatch(
      /border-color:\s*var\(--control\)/,
    );
  });

  it("lets native controls follow the theme", () => {
    expect(cssBlock(appCss, ":root")).toMatch(/color-scheme:\s*light/);
    expect(cssBlock(appCss, ":root.dark")).toMatch(/color-scheme:\s*dark/);
    // Checkboxes and radios are tinted, selects, options, inputs and buttons coloured
    // by the theme, placeholders readable.
    expect(cssBlock(appCss, ':where(input[type="checkbox"], input[type="radio"])')).toMatch(/accent-color:\s*var\(--accent\)/);
    expect(cssBlock(appCss, ":where(button, input, select, textarea)")).toMatch(/(^|[^-])color:\s*var\(--fg\)/);
    expect(cssBlock(appCss, ':where(button, select, textarea, input:not([type="checkbox"], [type="radio"]))')).toMatch(
      /background-color:\s*var\(--bg\)/,
    );
    const option = cssBlock(appCss, ":where(option)");
    expect(option).toMatch(/(^|[^-])color:\s*var\(--fg\)/);
    expect(option).toMatch(/background-color:\s*var\(--bg\)/);
    expect(cssBlock(appCss, "::placeholder")).toMatch(/color:\s*var\(--muted\)/);
  });

  it("gives components no colour of their own: text and surfaces come from the theme", () => {
    const found: string[] = [];
    for (const [file, css] of styles()) {
      for (const rule of css.matchAll(/([^{}]+)\{([^}]*)\}/g)) {
        const selector = rule[1].trim();
        for (const decl of rule[2].split(";")) {
          const m = decl.match(/^\s*([a-z-]+)\s*:\s*(.*?)\s*$/);
          if (!m || !/color|background|border|outline|shadow/.test(m[1])) continue;
          const [prop, value] = [m[1], m[2]];
          // A QR code stays black on white in both themes, to be scanned; a dialog's
          // backdrop dims whatever is behind it.
          const allowed = ((selector === ".signin img" || selector === ".linking img") && value === "#fff") || (selector === ".backdrop" && value === "rgba(0, 0, 0, 0.35)");
          if (!allowed && /#[0-9a-f]{3,8}\b|rgba?\(|hsla?\(/i.test(value)) found.push(`${file} ${selector}: ${prop}: ${value}`);
          for (const v of value.matchAll(/var\(--([a-z-]+)\)/g)) {
            const name = v[1];
            if (prop === "color" && !TEXT.includes(name) && name !== "accent-fg")
              found.push(`${file} ${selector}: ${prop}: ${value} is not a text colour of the theme`);
            if (/^background/.test(prop) && !SURFACES.includes(name) && name !== "accent")
              found.push(`${file} ${selector}: ${prop}: ${value} is not a surface of the theme`);
            if (!(name in themes.light)) found.push(`${file} ${selector}: --${name} is not in the theme`);
          }
        }
      }
    }
    expect(found).toEqual([]);
  });
});
