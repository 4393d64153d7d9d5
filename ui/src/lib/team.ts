// The Settings window's Team section: what it shows and offers, without the DOM.
import type { AccountView, Decision, IdentitiesView, Role, SigninState, SigninView, TeamView } from "./api";
import type { Key } from "./i18n";

/** What the section shows: the membership, a sign-in in progress, or the join forms. */
export type TeamScreen = "loading" | "joined" | "signin" | "join";

/** `adding`: a member chose to join another team, so the join forms (or that sign-in)
 * show instead of the memberships. */
export function screenOf(view: TeamView | null, adding = false): TeamScreen {
  if (!view) return "loading";
  const signingIn = !!view.signin && view.signin.state !== "cancelled" && view.signin.state !== "joined";
  if (view.accounts.length > 0 && !adding) return "joined";
  // A sign-in that joined shows the membership; after leaving, the join forms again.
  if (signingIn) return "signin";
  return "join";
}

/** The account the section shows: the chosen one while it is still joined, else the
 * first. */
export function shownAccount(view: TeamView | null, chosen: number | null): AccountView | null {
  const all = view?.accounts ?? [];
  return all.find((a) => a.id === chosen) ?? all[0] ?? null;
}

/** Whether two server addresses are the same server (the app keeps them with a
 * trailing `/`, people often type them without). */
export function sameServer(a: string, b: string): boolean {
  const bare = (s: string) => s.trim().replace(/\/+$/, "").toLowerCase();
  return bare(a) === bare(b);
}

/** The account a profile's team names, if it is joined. */
export function accountOf(accounts: AccountView[], team: string | null): AccountView | null {
  return team ? (accounts.find((a) => sameServer(a.server, team)) ?? null) : null;
}

/** The account that joining added: the one in `after` that was not in `before`. */
export function addedAccount(before: AccountView[], after: AccountView[]): AccountView | null {
  return after.find((a) => !before.some((b) => b.id === a.id)) ?? null;
}

/** The sentence under the sign-in code for each state. */
export function signinKey(state: SigninState): Key {
  return `signin_${state}`;
}

/** Whether the sign-in is over (the code cannot be approved any more). */
export function signinOver(s: SigninView | null): boolean {
  return !!s && s.state !== "waiting";
}

export function roleKey(role: Role): Key {
  return `role_${role}`;
}

/** How a member may let another computer in: as one more of their own computers
 * always; as a new member only owners and editors (the server's rule). */
export function decisionsFor(role: Role): Decision[] {
  return role === "agent" ? ["device", "deny"] : ["device", "agent", "editor", "deny"];
}

export function decisionKey(d: Decision): Key {
  return `decide_${d}`;
}

/** A sign-in code as typed (`abcd efgh`, `ABCDEFGH`) in the `ABCD-EFGH` form. */
export function normalizeCode(input: string): string {
  const raw = input.toUpperCase().replace(/[^0-9A-Z]/g, "");
  return raw.match(/.{1,4}/g)?.join("-") ?? "";
}

/** A server address as typed: trimmed, and `http(s)://` assumed `https://` when
 * missing. Empty when nothing was typed. */
export function normalizeServer(input: string): string {
  const s = input.trim();
  if (!s) return "";
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(s) ? s : `https://${s}`;
}

/** What the join form still needs (the first missing field's message), or null. */
export function joinMissing(form: { server: string; code: string }, withCode: boolean): Key | null {
  if (!form.server.trim()) return "teamNeedServer";
  if (withCode && !form.code.trim()) return "teamNeedCode";
  return null;
}

/** What starting a scan sign-in still needs: the server, then the app to scan with. */
export function scanMissing(server: string, provider: string): Key | null {
  if (!server.trim()) return "teamNeedServer";
  if (!provider) return "teamNeedProvider";
  return null;
}

/** The provider to preselect: the one chosen if the server still offers it, else the
 * server's first ("" when it offers none). */
export function pickProvider(offered: { id: string }[], chosen: string): string {
  return offered.some((p) => p.id === chosen) ? chosen : (offered[0]?.id ?? "");
}

/** `m:ss` left until `expiresAt` (Unix ms), `0:00` once past. */
export function remaining(expiresAt: number, now: number): string {
  const s = Math.max(0, Math.floor((expiresAt - now) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** A Unix-ms time for people: `2026-05-01 14:03`. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** The line under the sign-in code: the state in words, with the server's or the
 * network's message where it adds something. */
export function signinLine(s: Pick<SigninView, "state" | "message">, tr: (k: Key) => string): string {
  const said = tr(signinKey(s.state));
  const msg = s.message.trim();
  switch (s.state) {
    case "waiting":
      return msg ? `${said} — ${msg}` : said;
    case "denied":
    case "expired":
      return msg || said;
    case "error":
      return msg ? `${said} — ${msg}` : said;
    default:
      return said;
  }
}

/** One row of the member's accounts for scanning: linked (to unlink), or offered (to
 * link); the server's offer first, then linked ones it no longer offers. */
export interface ScanRow {
  id: string;
  name: string;
  linked: { displayName: string; linkedAt: number } | null;
  canLink: boolean;
}

export function scanRows(ids: IdentitiesView): ScanRow[] {
  const rows: ScanRow[] = ids.offered.map((p) => {
    const l = ids.linked.find((i) => i.id === p.id);
    return { id: p.id, name: p.name, linked: l ? { displayName: l.displayName, linkedAt: l.linkedAt } : null, canLink: !l };
  });
  for (const l of ids.linked) {
    if (!rows.some((r) => r.id === l.id)) {
      rows.push({ id: l.id, name: l.name, linked: { displayName: l.displayName, linkedAt: l.linkedAt }, canLink: false });
    }
  }
  return rows;
}
