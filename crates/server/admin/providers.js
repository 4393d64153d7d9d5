// @ts-check
/**
 * The "Sign-in providers" (登录方式) tab. Everyone: their own accounts for scanning to
 * sign in — link one (`POST /v1/scan/link`: the app's login page as a QR code, polled
 * until linked) or unlink it. The owner also sets up sign-in by scanning with the
 * team's own WeCom, Feishu, DingTalk, WeChat or QQ app. Each provider as the server has
 * it (`GET /v1/scan/settings`): its App ID, AgentId (WeCom), tenant (Feishu, DingTalk),
 * whether the company's own people join as agents by themselves, and the callback
 * address to register at the provider. Saving sends `PUT /v1/scan/settings/{provider}`;
 * the secret is typed once and never shown again (left empty, the kept one stays).
 * Providers set in the server's config file are shown, not changed.
 */

import { button, el, field, formatTime, qrImage, setStatus } from "./dom.js";
import { api, me } from "./api.js";
import { lang, t } from "./i18n.js";
import { polling, pollAttempt } from "./app.js";

/** @import { IdentityInfo, ScanPoll, ScanProviderInfo, ScanSetting, ScanStarted } from "./api.js" */

/** @param {string} provider */
function providerName(provider) {
  return t(`prov_${provider}`);
}

/** @param {HTMLElement} section */
export async function showProviders(section) {
  /** @type {ScanProviderInfo[]} */
  const offered = await api("GET", "/v1/scan");
  /** @type {IdentityInfo[]} */
  const linked = await api("GET", "/v1/identities");
  const mine = myAccounts(offered, linked, section);
  if (me?.role !== "owner") {
    section.replaceChildren(mine);
    return;
  }
  /** @type {ScanSetting[]} */
  const settings = await api("GET", "/v1/scan/settings");
  section.replaceChildren(
    mine,
    el("h2", { id: "providers-title" }, t("provTitle")),
    el("p", { class: "muted" }, t("provHint")),
    ...settings.map((s) => card(s, section)),
  );
}

/**
 * The member's own accounts: linked ones (to unlink) and the offered ones to link.
 * @param {ScanProviderInfo[]} offered
 * @param {IdentityInfo[]} linked
 * @param {HTMLElement} section
 */
function myAccounts(offered, linked, section) {
  const box = el("section", { class: "card", id: "my-accounts", "aria-labelledby": "my-accounts-title" }, el("h2", { id: "my-accounts-title" }, t("myTitle")));
  if (offered.length === 0 && linked.length === 0) {
    box.append(el("p", { class: "muted", id: "my-accounts-none" }, t("myNone")));
    return box;
  }
  box.append(el("p", { class: "muted small" }, t("myHint")));
  const ids = new Set([...offered.map((p) => p.provider), ...linked.map((i) => i.provider)]);
  for (const id of ids) {
    const name = providerName(id);
    const has = linked.find((i) => i.provider === id);
    const row = el(
      "div",
      { class: "member-head", id: `my-${id}` },
      el("span", {}, has ? t("myLinked", name, has.display_name, formatTime(has.linked_at)) : t("myNotLinked", name)),
      has
        ? button(
            t("myUnlink"),
            async () => {
              await api("DELETE", `/v1/identities/${id}`);
              await showProviders(section);
              setStatus(t("myUnlinked", name), "ok");
            },
            { id: `unlink-${id}`, class: "ghost" },
          )
        : offered.some((p) => p.provider === id)
          ? button(t("myLink"), () => link(id, box, section), { id: `link-${id}` })
          : null,
    );
    box.append(row);
  }
  return box;
}

/**
 * Links the member's account at `provider`: its login page as a QR code, polled.
 * @param {string} provider
 * @param {HTMLElement} box
 * @param {HTMLElement} section
 */
async function link(provider, box, section) {
  polling.stop();
  const name = providerName(provider);
  /** @type {ScanStarted} */
  const started = await api("POST", "/v1/scan/link", { provider });
  const state = el("p", { id: "link-state", class: "muted" }, t("scanWaiting", name, formatTime(started.expires_at)));
  box.replaceChildren(
    el("h2", { id: "my-accounts-title" }, t("myTitle")),
    el("p", { id: "link-hint" }, t("myLinkHow", name)),
    el("div", { class: "pair" }, qrImage(started.url), el("a", { id: "link-open", href: started.url, rel: "noopener noreferrer" }, t("scanOpen", name))),
    state,
    button(t("cancelLink"), () => showProviders(section), { id: "link-cancel", class: "ghost" }),
  );
  document.getElementById("link-cancel")?.focus();
  pollAttempt(
    `/v1/scan/${started.id}/poll`,
    started.secret,
    "waiting",
    /** @param {ScanPoll} answer */
    async (answer) => {
      if (answer.state === "linked") {
        await showProviders(section);
        setStatus(t("myLinkedNow", name), "ok");
        return;
      }
      const msg = answer.error ? (lang === "zh" ? answer.error.zh : answer.error.en) : t("scanExpired");
      setStatus(msg, "error");
      state.textContent = msg;
    },
  );
}

/**
 * One provider's card.
 * @param {ScanSetting} s
 * @param {HTMLElement} section
 */
function card(s, section) {
  const id = s.provider;
  const name = providerName(id);
  const fixed = s.from_config;
  const appId = el("input", { id: `prov-${id}-app`, value: s.app_id, autocomplete: "off", spellcheck: "false", disabled: fixed });
  const secret = el("input", {
    id: `prov-${id}-secret`,
    type: "password",
    autocomplete: "new-password",
    placeholder: s.has_secret ? t("provSecretKept") : "",
    disabled: fixed,
  });
  const agent = id === "wecom" ? el("input", { id: `prov-${id}-agent`, value: s.agent_id ?? "", inputmode: "numeric", disabled: fixed }) : null;
  const tenant =
    id === "feishu" || id === "dingtalk" ? el("input", { id: `prov-${id}-tenant`, value: s.tenant ?? "", autocomplete: "off", disabled: fixed }) : null;
  const company = id === "wecom" || id === "feishu" || id === "dingtalk";
  const auto = company ? el("input", { type: "checkbox", id: `prov-${id}-auto`, checked: s.auto_join, disabled: fixed }) : null;
  const state = el(
    "p",
    { class: "muted small", id: `prov-${id}-state` },
    fixed ? t("provFromConfig") : s.configured ? t("provOn", s.updated_at ? formatTime(s.updated_at) : "") : t("provOff"),
  );
  const save = async () => {
    await api("PUT", `/v1/scan/settings/${id}`, {
      app_id: appId.value,
      secret: secret.value || undefined,
      agent_id: agent?.value || undefined,
      auto_join: auto?.checked ?? false,
      tenant: tenant?.value || undefined,
    });
    await showProviders(section);
    setStatus(t("provSaved", name), "ok");
    document.getElementById(`prov-${id}-app`)?.focus();
  };
  const form = el(
    "form",
    {
      class: "form",
      id: `prov-${id}-form`,
      onsubmit: (/** @type {Event} */ ev) => {
        ev.preventDefault();
        void save().catch((e) => setStatus(e instanceof Error ? e.message : String(e), "error"));
      },
    },
    field(t(id === "wecom" ? "provAppWecom" : "provApp"), appId),
    field(t("provSecret"), secret),
    agent ? field(t("provAgent"), agent) : null,
    tenant ? field(t(id === "feishu" ? "provTenantFeishu" : "provTenantDingtalk"), tenant) : null,
    auto ? el("label", { class: "check" }, auto, el("span", {}, t("provAuto"))) : null,
    fixed ? null : el("button", { type: "submit", id: `prov-${id}-save` }, t("provSave")),
    s.configured && !fixed
      ? button(
          t("provRemove"),
          async () => {
            await api("DELETE", `/v1/scan/settings/${id}`);
            await showProviders(section);
            setStatus(t("provRemoved", name), "ok");
          },
          { id: `prov-${id}-remove`, class: "ghost" },
        )
      : null,
  );
  return el(
    "section",
    { class: "card provider", id: `prov-${id}`, "aria-labelledby": `prov-${id}-name` },
    el("h3", { id: `prov-${id}-name` }, name),
    state,
    el("p", { class: "small" }, t("provCallback"), " ", el("code", { id: `prov-${id}-callback` }, s.callback_url)),
    form,
  );
}
