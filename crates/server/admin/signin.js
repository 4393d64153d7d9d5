// @ts-check
/**
 * Signing in by approval: the sign-in screen asks the server for a code, shows it with
 * its QR code and polls until a signed-in device approves it; and signing out.
 */

import { button, byId, el, formatTime, qrImage, setStatus, showError } from "./dom.js";
import { api, forget, me, remember, SignedOut } from "./api.js";
import { t } from "./i18n.js";
import { clearHash, main, polling, pollAttempt, route, translateChrome } from "./app.js";
import { offerScan } from "./scan.js";

/** @import { SigninPoll, SigninStarted } from "./api.js" */

/** This browser's name in device lists. */
function deviceName() {
  return `管理页 · ${browserName()}`;
}

function browserName() {
  const ua = navigator.userAgent;
  if (/Edg\//.test(ua)) return "Edge";
  if (/Firefox\//.test(ua)) return "Firefox";
  if (/Chrome\//.test(ua)) return "Chrome";
  if (/Safari\//.test(ua)) return "Safari";
  return "Browser";
}

/**
 * The sign-in screen: asks for a code and polls until it is approved.
 * @param {string} note  shown in the status line
 */
export function showSignin(note) {
  polling.stop();
  byId("tabs").hidden = true;
  translateChrome();
  setStatus(note);
  const box = el("section", { class: "card", id: "signin", "aria-labelledby": "signin-title" });
  box.append(el("h2", { id: "signin-title" }, t("signinTitle")), el("p", { class: "muted" }, t("signinStart")));
  main().replaceChildren(box);
  void startSignin(box);
}

/** @param {HTMLElement} box */
async function startSignin(box) {
  /** @type {SigninStarted} */
  let started;
  try {
    started = await api("POST", "/v1/signin", {
      device_name: deviceName(),
      web: true,
    });
  } catch (e) {
    showError(e);
    box.append(button(t("signinRetry"), () => showSignin(""), { id: "signin-retry" }));
    return;
  }
  waitForApproval(box, started, "");
  void offerScan(
    box,
    deviceName(),
    (signin, note) => {
      polling.stop();
      waitForApproval(box, signin, note);
    },
    () => showSignin(""),
  );
}

/**
 * Shows the sign-in code with its QR code and polls until it is approved (a scan of an
 * account nobody linked yet continues here too, `note` saying so).
 * @param {HTMLElement} box
 * @param {SigninStarted} started
 * @param {string} note
 */
function waitForApproval(box, started, note) {
  const approveUrl = `${location.origin}/admin/#approve=${started.code}`;
  const waiting = el("p", { id: "signin-state", class: "muted" }, t("signinWaiting", formatTime(started.expires_at)));
  box.replaceChildren(
    el("h2", { id: "signin-title" }, t("signinTitle")),
    ...(note ? [el("p", { id: "signin-note" }, note)] : []),
    el("p", {}, t("signinHow")),
    el(
      "div",
      { class: "pair" },
      el("div", {}, el("div", { class: "code", id: "signin-code" }, started.code), el("pre", { class: "cmd" }, t("signinCmd", started.code))),
      qrImage(approveUrl),
    ),
    waiting,
  );
  pollAttempt(
    `/v1/signin/${started.id}/poll`,
    started.secret,
    "pending",
    /** @param {SigninPoll} answer */
    (answer) => {
      if (answer.state === "approved" && answer.join) {
        remember(answer.join.token, answer.join.me);
        setStatus(t("signedIn", answer.join.me.user_name), "ok");
        route();
        return;
      }
      const msg = answer.state === "denied" ? t("signinDenied") : t("signinExpired");
      setStatus(msg, "error");
      waiting.textContent = msg;
      box.append(button(t("signinRetry"), () => showSignin(""), { id: "signin-retry" }));
    },
  );
}

export async function signOut() {
  if (me) {
    try {
      await api("DELETE", `/v1/devices/${me.device_id}`);
    } catch (e) {
      if (e instanceof SignedOut) return;
      throw e;
    }
  }
  forget();
  clearHash();
  showSignin(t("signedOut"));
}
