import { describe, expect, it } from "vitest";
import type { TeamView } from "./api";
import { t, type Key } from "./i18n";
import {
  decisionsFor,
  joinMissing,
  pickProvider,
  scanRows,
  scanMissing,
  normalizeCode,
  normalizeServer,
  remaining,
  roleKey,
  screenOf,
  signinKey,
  signinLine,
  signinOver,
  shownAccount,
  addedAccount,
  accountOf,
} from "./team";

const account = (id: number, team: string) => ({
  id,
  server: `http://shop${id}.example/`,
  team,
  userName: "小李",
  role: "agent" as const,
  deviceName: "pc",
  lastSync: null,
});

const signin = (state: "waiting" | "joined" | "denied" | "expired" | "cancelled" | "error", message = "") => ({
  server: "http://127.0.0.1:9",
  code: "ABCD-EFGH",
  qrSvg: "<svg/>",
  approveUrl: "http://127.0.0.1:9/admin/#approve=ABCD-EFGH",
  expiresAt: 0,
  state,
  message,
  provider: "",
});

describe("team section", () => {
  it("shows the membership, a sign-in in progress, or the join forms", () => {
    const base: TeamView = { accounts: [], signin: null, hostName: "pc" };
    expect(screenOf(null)).toBe("loading");
    expect(screenOf(base)).toBe("join");
    expect(screenOf({ ...base, signin: signin("waiting") })).toBe("signin");
    expect(screenOf({ ...base, signin: signin("denied") })).toBe("signin");
    expect(screenOf({ ...base, signin: signin("cancelled") })).toBe("join");
    expect(screenOf({ ...base, signin: signin("joined") })).toBe("join");
    const accounts = [account(1, "售后组")];
    expect(screenOf({ ...base, accounts, signin: signin("joined") })).toBe("joined");
    // Joining another team: the join forms, then that sign-in, then the memberships.
    expect(screenOf({ ...base, accounts }, true)).toBe("join");
    expect(screenOf({ ...base, accounts, signin: signin("waiting") }, true)).toBe("signin");
    expect(screenOf({ ...base, accounts, signin: signin("waiting") })).toBe("joined");
  });

  it("shows the chosen team, the first once the chosen one is left, and finds the one joined", () => {
    const a = account(1, "店铺A");
    const b = account(2, "店铺B");
    const view: TeamView = { accounts: [a, b], signin: null, hostName: "pc" };
    expect(shownAccount(view, 2)).toEqual(b);
    expect(shownAccount(view, null)).toEqual(a);
    expect(shownAccount({ ...view, accounts: [a] }, 2)).toEqual(a);
    expect(shownAccount({ ...view, accounts: [] }, 1)).toBeNull();
    expect(addedAccount([a], [a, b])).toEqual(b);
    expect(addedAccount([a, b], [a, b])).toBeNull();
    // A profile's team written without the trailing slash is still that team.
    expect(accountOf([a, b], "http://shop2.example")).toEqual(b);
    expect(accountOf([a, b], "HTTP://shop1.example/")).toEqual(a);
    expect(accountOf([a, b], "http://shop3.example/")).toBeNull();
    expect(accountOf([a, b], null)).toBeNull();
  });

  it("offers new members only to owners and editors", () => {
    expect(decisionsFor("agent")).toEqual(["device", "deny"]);
    expect(decisionsFor("editor")).toEqual(["device", "agent", "editor", "deny"]);
    expect(decisionsFor("owner")).toContain("editor");
  });

  it("tidies typed codes and addresses", () => {
    expect(normalizeCode(" abcd efgh ")).toBe("ABCD-EFGH");
    expect(normalizeCode("ABCD-EFGH")).toBe("ABCD-EFGH");
    expect(normalizeCode("abcdefgh")).toBe("ABCD-EFGH");
    expect(normalizeCode("-- ")).toBe("");
    expect(normalizeServer("  sync.shop.cn ")).toBe("https://sync.shop.cn");
    expect(normalizeServer("http://127.0.0.1:8080/")).toBe("http://127.0.0.1:8080/");
    expect(normalizeServer("   ")).toBe("");
  });

  it("names what the join form misses", () => {
    expect(joinMissing({ server: " ", code: "X" }, true)).toBe("teamNeedServer");
    expect(joinMissing({ server: "s", code: " " }, true)).toBe("teamNeedCode");
    expect(joinMissing({ server: "s", code: "" }, false)).toBeNull();
  });

  it("lists the accounts for scanning: offered ones to link, linked ones to unlink", () => {
    const rows = scanRows({
      offered: [
        { id: "wecom", name: "企业微信" },
        { id: "feishu", name: "飞书" },
      ],
      linked: [
        { id: "feishu", name: "飞书", displayName: "张三", linkedAt: 5 },
        { id: "qq", name: "QQ", displayName: "小张", linkedAt: 6 },
      ],
    });
    expect(rows.map((r) => [r.id, r.canLink, r.linked?.displayName ?? null])).toEqual([
      ["wecom", true, null],
      ["feishu", false, "张三"],
      ["qq", false, "小张"],
    ]);
  });

  it("a scan needs the server, then the app; the chosen app stays while offered", () => {
    expect(scanMissing(" ", "wecom")).toBe("teamNeedServer");
    expect(scanMissing("https://s", "")).toBe("teamNeedProvider");
    expect(scanMissing("https://s", "feishu")).toBeNull();
    const offered = [{ id: "wecom" }, { id: "feishu" }];
    expect(pickProvider(offered, "feishu")).toBe("feishu");
    expect(pickProvider(offered, "qq")).toBe("wecom");
    expect(pickProvider([], "qq")).toBe("");
    for (const k of ["teamByScan", "teamScanNone", "scanHint", "scanWaiting"] as Key[]) {
      expect(t(k, { app: "企业微信" })).not.toBe(k);
    }
    expect(joinMissing({ server: "s", code: "c" }, true)).toBeNull();
  });

  it("counts down to the expiry", () => {
    expect(remaining(600_000, 0)).toBe("10:00");
    expect(remaining(61_500, 0)).toBe("1:01");
    expect(remaining(0, 5_000)).toBe("0:00");
  });

  it("says where a sign-in stands, with the server's words when they add something", () => {
    const tr = (k: Key) => t(k, {}, "en");
    expect(signinLine(signin("waiting"), tr)).toBe("Waiting for approval…");
    expect(signinLine(signin("waiting", "cannot reach the sync server"), tr)).toBe(
      "Waiting for approval… — cannot reach the sync server",
    );
    expect(signinLine(signin("denied", "the sign-in was denied"), tr)).toBe("the sign-in was denied");
    expect(signinLine(signin("expired"), tr)).toBe("The sign-in expired: get a new code");
    expect(signinLine(signin("error", "boom"), tr)).toBe("The sign-in failed — boom");
    expect(signinLine(signin("joined"), (k) => t(k, {}, "zh-CN"))).toBe("已批准，本机已加入团队");
    expect(signinOver(signin("waiting"))).toBe(false);
    expect(signinOver(signin("expired"))).toBe(true);
    expect(signinOver(null)).toBe(false);
  });

  it("has words for every state, role and decision in both languages", () => {
    for (const s of ["waiting", "joined", "denied", "expired", "cancelled", "error"] as const) {
      expect(t(signinKey(s), {}, "en")).not.toBe("");
      expect(t(signinKey(s), {}, "zh-CN")).not.toBe("");
    }
    expect(t(roleKey("editor"), {}, "zh-CN")).toBe("编辑");
  });
});
