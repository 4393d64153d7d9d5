// @ts-check
/**
 * QuickReply admin page: sign in by approval, approve new computers, members and
 * devices, the sync status board, invites, usage, and each reply's history with
 * restore. Plain ES modules, no framework, no build step; every string goes through
 * `t()` (Simplified Chinese first, English). The DOM is built with `el()` and
 * `textContent` only: nothing from the server is ever parsed as HTML.
 *
 * This is the entry index.html loads: it wires the modules together and starts the
 * page. The modules, each importing only those above it (JSDoc `@import`s of types
 * aside), so that there is no import cycle (the shell gets its screens from here, and
 * api.js what a 401 shows):
 * - `i18n.js`: the strings in both languages, `t()`, the language shown;
 * - `api.js`: the `/v1` API, the types of its answers, the signed-in session;
 * - `dom.js`: building elements, the status line, buttons and fields, times;
 * - `charts.js`: bar charts and CSV export;
 * - `app.js`: the shell: routing, header, tabs, `showApp()`;
 * - `scan.js`: signing in by scanning with the team's WeCom, Feishu, … (offered under
 *   the sign-in code);
 * - `signin.js`: signing in by approval, signing out;
 * - `invite.js`: the "Invite" tab and the join screen;
 * - `members.js`, `board.js`, `replies.js`, `missed.js`, `usage.js`, `schedule.js`,
 *   `approve.js`, `providers.js`: the other tabs ("Usage" shows `missed.js`, the searches that found
 *   nothing; "Sign-in providers", owner only, scanning with WeCom, Feishu, …);
 * - `diff.js` (a word diff) and `suggestions.js`: the "Suggestions" tab, agents'
 *   suggestions for a lead to accept, edit then accept, or decline.
 */

import { byId, setStatus, showError } from "./dom.js";
import { token, whenSessionEnds } from "./api.js";
import { t, toggleLang } from "./i18n.js";
import { route, setScreens, showApp } from "./app.js";
import { showSignin, signOut } from "./signin.js";
import { showInvite, showJoin } from "./invite.js";
import { showMembers } from "./members.js";
import { showBoard } from "./board.js";
import { showUsage } from "./usage.js";
import { showReplies } from "./replies.js";
import { showSchedule } from "./schedule.js";
import { showSuggestions } from "./suggestions.js";
import { showApprove } from "./approve.js";
import { showProviders } from "./providers.js";

setScreens({
  signin: showSignin,
  join: showJoin,
  views: {
    members: showMembers,
    board: showBoard,
    invite: showInvite,
    usage: showUsage,
    replies: showReplies,
    schedule: showSchedule,
    suggestions: showSuggestions,
    providers: showProviders,
    approve: showApprove,
  },
});
whenSessionEnds(() => showSignin(t("sessionEnded")));

function start() {
  byId("lang").addEventListener("click", () => {
    toggleLang();
    // A message stays in the language it was written in: drop it.
    setStatus("");
    if (token) showApp();
    else route();
  });
  byId("signout").addEventListener("click", () => {
    signOut().catch(showError);
  });
  window.addEventListener("hashchange", () => {
    setStatus("");
    route();
  });
  route();
}

start();
