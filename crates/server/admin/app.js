// @ts-check
/**
 * The admin page's shell: routing by the address (`#approve=`, `#join=`) and the
 * sign-in state, the header and tabs in the current language, and `showApp()`, which
 * draws the current tab. The screens themselves come from admin.js (`setScreens`):
 * they import this module, so it does not import them.
 */

import { el, byId, setStatus, showError } from "./dom.js";
import { api, ApiError, me, rememberMe, SignedOut, token } from "./api.js";
import { lang, roleName, t } from "./i18n.js";

/** @import { Me } from "./api.js" */

/** @typedef {"members" | "board" | "invite" | "usage" | "replies" | "schedule" | "suggestions" | "providers" | "approve"} Tab */
/** @type {Tab} */
let tab = "members";
/** The sign-in poll that is running: `polling.stop()` stops it (signin.js sets it). */
export const polling = { stop: () => {} };

/** How often an open sign-in or scan attempt is asked, in milliseconds. */
const POLL_MS = 1500;

/**
 * Ask an attempt's poll endpoint `path` (with its `secret`) until its state is no
 * longer `waiting`, then hand the answer to `done`. An attempt the server no longer
 * knows (404) answers `expired`; a network error is shown and asked again later.
 * `polling.stop()` ends it (the page moved on).
 * @template {{ state: string }} T
 * @param {string} path
 * @param {string} secret
 * @param {string} waiting
 * @param {(answer: T) => void | Promise<void>} done
 */
export function pollAttempt(path, secret, waiting, done) {
  let stopped = false;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  polling.stop = () => {
    stopped = true;
    if (timer !== undefined) clearTimeout(timer);
  };
  const poll = async () => {
    if (stopped) return;
    /** @type {T} */
    let answer;
    try {
      answer = await api("POST", path, { secret });
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        answer = /** @type {T} */ ({ state: "expired" });
      } else {
        // A network hiccup: say so and keep trying.
        showError(e);
        timer = setTimeout(poll, POLL_MS * 2);
        return;
      }
    }
    if (stopped) return;
    if (answer.state === waiting) {
      timer = setTimeout(poll, POLL_MS);
      return;
    }
    await done(answer);
  };
  timer = setTimeout(poll, POLL_MS);
}

/** @returns {{approve?: string, join?: string}} */
export function hashParams() {
  const h = location.hash.replace(/^#/, "");
  const p = new URLSearchParams(h);
  return {
    approve: p.get("approve") ?? undefined,
    join: p.get("join") ?? undefined,
  };
}

export function clearHash() {
  history.replaceState(null, "", location.pathname + location.search);
}

export function main() {
  return byId("main");
}

/** Renders whatever the address and the sign-in state call for. */
export function route() {
  translateChrome();
  const h = hashParams();
  if (h.join) {
    screen().join(h.join);
    return;
  }
  if (!token) {
    screen().signin(h.approve ? t("approveSignInFirst", h.approve) : "");
    return;
  }
  if (h.approve) {
    tab = "approve";
  }
  showApp();
}

/** The page chrome (header, tabs) in the current language. */
export function translateChrome() {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  document.title = t("title");
  byId("title").textContent = t("title");
  byId("lang").textContent = t("langToggle");
  byId("lang").setAttribute("lang", lang === "zh" ? "en" : "zh-CN");
  byId("signout").textContent = t("signOut");
  const skip = document.querySelector(".skip");
  if (skip) skip.textContent = t("skip");
  byId("signout").hidden = !token;
  byId("who").textContent = me && token ? t("who", me.user_name, roleName(me.role), me.team_name) : "";
}

/**
 * Makes `tab` the tab `showApp()` draws next.
 * @param {Tab} next
 */
export function setTab(next) {
  tab = next;
}

/**
 * The screens the shell shows.
 * @typedef {{signin: (note: string) => void, join: (code: string) => void, views: Record<Tab, (section: HTMLElement) => Promise<void>>}} Screens
 */

/** @type {Screens | null} */
let screens = null;

/**
 * Gives the shell its screens; admin.js does, before anything is drawn.
 * @param {Screens} s
 */
export function setScreens(s) {
  screens = s;
}

/** @returns {Screens} */
function screen() {
  if (!screens) throw new Error("admin.js has not given the shell its screens");
  return screens;
}

/** @returns {boolean} */
export function isLead() {
  return !!me && (me.role === "owner" || me.role === "editor");
}

/** @returns {[Tab, string][]} */
function tabs() {
  /** @type {[Tab, string][]} */
  const all = [
    ["members", t("tabMembers")],
    ["board", t("tabBoard")],
  ];
  if (isLead()) {
    all.push(["invite", t("tabInvite")], ["usage", t("tabUsage")], ["replies", t("tabReplies")], ["schedule", t("tabSchedule")], ["suggestions", t("tabSuggestions")]);
  }
  all.push(["providers", t("tabProviders")]);
  all.push(["approve", t("tabApprove")]);
  return all;
}

export function showApp() {
  polling.stop();
  translateChrome();
  const nav = byId("tabs");
  nav.hidden = false;
  nav.setAttribute("aria-label", t("title"));
  const list = tabs();
  if (!list.some(([id]) => id === tab)) tab = "members";
  nav.replaceChildren(
    ...list.map(([id, label]) =>
      el(
        "button",
        {
          type: "button",
          id: `tab-${id}`,
          "aria-current": id === tab ? "page" : undefined,
          onclick: () => {
            tab = id;
            setStatus("");
            if (id !== "approve" && hashParams().approve) clearHash();
            showApp();
            document.getElementById(`tab-${id}`)?.focus();
          },
        },
        label,
      ),
    ),
  );
  const views = screen().views;
  const section = el("section", { id: `view-${tab}` });
  main().replaceChildren(section);
  views[tab](section).catch((e) => {
    if (!(e instanceof SignedOut)) showError(e);
  });
  // Refresh who we are (role changes, revocations) in the background.
  void api("GET", "/v1/me")
    .then((/** @type {Me} */ fresh) => {
      const roleChanged = me && fresh.role !== me.role;
      rememberMe(fresh);
      translateChrome();
      if (roleChanged) showApp();
    })
    .catch((e) => {
      if (!(e instanceof SignedOut)) showError(e);
    });
}
