// @ts-check
/**
 * Scanning to sign in on the admin page: under the sign-in code, a button for each app
 * the server signs in with (`GET /v1/scan`: WeCom, Feishu, DingTalk, WeChat, QQ). One
 * shows that app's login page as a QR code (and a link to open it on this device) and
 * polls `POST /v1/scan/{id}/poll`: signed in, or, for an account nobody linked yet, the
 * ordinary sign-in code for a lead to approve.
 */

import { button, el, formatTime, qrImage, setStatus } from "./dom.js";
import { api, remember } from "./api.js";
import { lang, t } from "./i18n.js";
import { polling, pollAttempt, route } from "./app.js";

/** @import { ScanPoll, ScanProviderInfo, ScanStarted, SigninStarted } from "./api.js" */

/** @param {ScanProviderInfo} p */
function nameOf(p) {
  return lang === "zh" ? p.name_zh : p.name_en;
}

/**
 * Offers the apps the server signs in with, under the sign-in box.
 * @param {HTMLElement} box
 * @param {string} deviceName
 * @param {(started: SigninStarted, note: string) => void} approval  goes on as a sign-in by approval
 * @param {() => void} retry
 */
export async function offerScan(box, deviceName, approval, retry) {
  /** @type {ScanProviderInfo[]} */
  let providers;
  try {
    providers = await api("GET", "/v1/scan");
  } catch {
    // An older server: nothing to offer.
    return;
  }
  if (!providers.length || !box.isConnected) return;
  box.append(
    el(
      "div",
      { class: "scan-choices", id: "signin-scan" },
      el("p", { class: "muted" }, t("scanOr")),
      ...providers.map((p) =>
        button(t("scanWith", nameOf(p)), () => startScan(box, p, deviceName, approval, retry), {
          id: `signin-scan-${p.provider}`,
          class: "ghost",
        }),
      ),
    ),
  );
}

/**
 * @param {HTMLElement} box
 * @param {ScanProviderInfo} p
 * @param {string} deviceName
 * @param {(started: SigninStarted, note: string) => void} approval
 * @param {() => void} retry
 */
async function startScan(box, p, deviceName, approval, retry) {
  polling.stop();
  const name = nameOf(p);
  /** @type {ScanStarted} */
  const started = await api("POST", "/v1/scan", { provider: p.provider, device_name: deviceName, web: true });
  const state = el("p", { id: "scan-state", class: "muted" }, t("scanWaiting", name, formatTime(started.expires_at)));
  box.replaceChildren(
    el("h2", { id: "signin-title" }, t("signinTitle")),
    el("p", { id: "scan-hint" }, t("scanHow", name)),
    el("div", { class: "pair" }, qrImage(started.url), el("a", { id: "scan-open", href: started.url, rel: "noopener noreferrer" }, t("scanOpen", name))),
    state,
    button(t("scanBack"), retry, { id: "scan-back", class: "ghost" }),
  );
  document.getElementById("scan-back")?.focus();
  pollAttempt(
    `/v1/scan/${started.id}/poll`,
    started.secret,
    "waiting",
    /** @param {ScanPoll} answer */
    (answer) => {
      if (answer.state === "signed_in" && answer.join) {
        remember(answer.join.token, answer.join.me);
        setStatus(t("signedIn", answer.join.me.user_name), "ok");
        route();
        return;
      }
      if (answer.state === "approval" && answer.signin) {
        approval(answer.signin, t("scanUnknown", answer.display_name ?? "", name));
        return;
      }
      const msg = answer.error ? (lang === "zh" ? answer.error.zh : answer.error.en) : t("scanExpired");
      setStatus(msg, "error");
      state.textContent = msg;
      box.append(button(t("signinRetry"), retry, { id: "signin-retry" }));
    },
  );
}
