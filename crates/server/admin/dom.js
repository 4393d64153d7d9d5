// @ts-check
/**
 * DOM helpers of the admin page: `el()` and `svg()` build elements (text goes in as
 * `textContent`, never as HTML), the status line, buttons and form fields, the QR code
 * image, and times written for people.
 */

import { SignedOut } from "./api.js";
import { lang, t } from "./i18n.js";

/**
 * An element with attributes (`on…` functions become listeners) and children.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, string | number | boolean | EventListener | undefined | null>} [attrs]
 * @param {...(Node | string | null | undefined | false)} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (typeof v === "function") {
      e.addEventListener(k.slice(2), v);
    } else if (v === true) {
      e.setAttribute(k, "");
    } else {
      e.setAttribute(k, String(v));
    }
  }
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    e.append(c);
  }
  return e;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * An SVG element.
 * @param {string} tag
 * @param {Record<string, string | number>} attrs
 * @param {string} [text]
 * @returns {SVGElement}
 */
export function svg(tag, attrs, text) {
  const e = /** @type {SVGElement} */ (document.createElementNS(SVG_NS, tag));
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} is missing from the page`);
  return e;
}

/**
 * @param {string} text
 * @param {"" | "error" | "ok"} [kind]
 */
export function setStatus(text, kind = "") {
  const s = byId("status");
  s.textContent = text;
  s.className = kind ? `status ${kind}` : "status";
}

/** @param {unknown} e */
export function showError(e) {
  setStatus(e instanceof Error ? e.message : String(e), "error");
}

/**
 * A button.
 * @param {string} label
 * @param {() => unknown} action  errors it throws (or rejects with) are shown
 * @param {Record<string, string | undefined>} [attrs]
 */
export function button(label, action, attrs = {}) {
  return el(
    "button",
    {
      type: "button",
      ...attrs,
      onclick: () => {
        void Promise.resolve()
          .then(action)
          .catch((e) => {
            if (!(e instanceof SignedOut)) showError(e);
          });
      },
    },
    label,
  );
}

/**
 * A labelled field.
 * @param {string} label
 * @param {HTMLElement} control
 */
export function field(label, control) {
  return el("label", { class: "field" }, el("span", {}, label), control);
}

/**
 * A `<select>` of options.
 * @param {string} id
 * @param {[string, string][]} options  value, label
 * @param {string} [value]
 */
export function select(id, options, value) {
  const s = el("select", { id });
  for (const [v, label] of options) {
    s.append(el("option", { value: v, selected: v === value }, label));
  }
  return s;
}

/** @param {string} text */
export function qrImage(text) {
  return el("img", {
    class: "qr",
    src: `/admin/qr.svg?text=${encodeURIComponent(text)}`,
    alt: t("qrAlt", text),
    width: 220,
    height: 220,
  });
}

/** @param {number} ms */
export function formatTime(ms) {
  return new Date(ms).toLocaleString(lang === "zh" ? "zh-CN" : "en-GB", {
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** @param {number} ms */
export function ago(ms) {
  const d = Date.now() - ms;
  if (d < 60_000) return t("justNow");
  if (d < 3_600_000) return t("minutesAgo", Math.floor(d / 60_000));
  if (d < 86_400_000) return t("hoursAgo", Math.floor(d / 3_600_000));
  return t("daysAgo", Math.floor(d / 86_400_000));
}
