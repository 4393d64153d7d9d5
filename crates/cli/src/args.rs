//! The command line as clap reads it: every subcommand and its flags. `main` runs them.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use quickreply_core::i18n::tr;
use quickreply_core::packs;
use quickreply_core::store::PERSONAL;

use crate::sync_cmd;

#[derive(Parser, Debug)]
#[command(
    name = "qreply",
    version,
    about = "QuickReply 快捷回复 — manage, search and fire replies from the terminal"
)]
pub(crate) struct Cli {
    /// Data directory (default: the OS data dir, or $QUICKREPLY_DATA_DIR)
    #[arg(long, global = true, value_name = "DIR")]
    pub(crate) data_dir: Option<PathBuf>,
    /// Message language: zh-CN (default) or en; also $QUICKREPLY_LANG
    #[arg(long, global = true, value_name = "LANG")]
    pub(crate) lang: Option<String>,
    /// Which joined team a team command is for (its server address, team name or number
    /// in qreply status), once this computer has joined several
    #[arg(long, global = true, value_name = "TEAM")]
    pub(crate) team: Option<String>,
    #[command(subcommand)]
    pub(crate) cmd: Cmd,
}

#[derive(Subcommand, Debug)]
pub(crate) enum Cmd {
    /// Add a reply: parts in the order given, e.g. --text "…" --image card.png --text "…"
    Add {
        #[arg(long)]
        title: String,
        /// Shortcut code (lowercase letters/digits), e.g. fh
        #[arg(long)]
        code: Option<String>,
        /// Folder path, e.g. 物流 or 售前/尺码 (created if missing)
        #[arg(long, default_value = "")]
        folder: String,
        #[arg(long = "tag", value_name = "TAG")]
        tags: Vec<String>,
        /// Only for these chat apps (wechat, qianniu, …)
        #[arg(long = "app", value_name = "APP")]
        apps: Vec<String>,
        /// A text part
        #[arg(long = "text", value_name = "TEXT")]
        texts: Vec<String>,
        /// An image part (PNG, JPEG, GIF, WebP, BMP)
        #[arg(long = "image", value_name = "FILE")]
        images: Vec<PathBuf>,
        #[arg(long, default_value = PERSONAL)]
        library: String,
        #[arg(long)]
        json: bool,
    },
    /// Change a reply; --text/--image replace all parts
    Edit {
        /// Id, shortcut code or exact title
        key: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long, conflicts_with = "no_code")]
        code: Option<String>,
        /// Remove the shortcut code
        #[arg(long)]
        no_code: bool,
        #[arg(long)]
        folder: Option<String>,
        /// Replace the tags
        #[arg(long = "tag", value_name = "TAG")]
        tags: Option<Vec<String>>,
        #[arg(long = "app", value_name = "APP")]
        apps: Option<Vec<String>>,
        #[arg(long = "text", value_name = "TEXT")]
        texts: Vec<String>,
        #[arg(long = "image", value_name = "FILE")]
        images: Vec<PathBuf>,
        #[arg(long)]
        library: Option<String>,
    },
    /// Delete a reply, or a folder with --folder
    Rm {
        /// Id, shortcut code or exact title
        #[arg(required_unless_present = "folder")]
        key: Option<String>,
        #[arg(long, conflicts_with = "key")]
        folder: Option<String>,
        /// With --folder: delete its replies and sub-folders too
        #[arg(long)]
        recursive: bool,
        #[arg(long)]
        library: Option<String>,
    },
    /// List replies, one per line: title, code, folder, id
    Ls {
        #[arg(long)]
        library: Option<String>,
        /// Only this folder (and its sub-folders)
        #[arg(long)]
        folder: Option<String>,
        /// List folders instead of replies
        #[arg(long)]
        folders: bool,
        #[arg(long)]
        json: bool,
    },
    /// Show one reply in full
    Show {
        key: String,
        #[arg(long)]
        library: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Search: fuzzy over title, code, tags, body and pinyin; best first
    Search {
        #[arg(required = true)]
        query: Vec<String>,
        #[arg(long)]
        library: Option<String>,
        #[arg(long, default_value_t = 10)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
    /// Render a reply (variables filled) and print it or put it on the clipboard
    Fire {
        /// Id, shortcut code or exact title
        key: String,
        #[arg(long)]
        library: Option<String>,
        /// Answer a prompt (--set 买家昵称=阿花) or, for this fire only, a variable that
        /// has no value yet (--set 快递公司=顺丰). A reply using an unset variable (a
        /// built-in pack's example such as 中通快递) is never sent with the example: on a
        /// terminal it is asked for, otherwise refused; `qreply vars set` keeps a value.
        #[arg(long = "set", value_name = "NAME=VALUE")]
        sets: Vec<String>,
        /// Put the part on the system clipboard
        #[arg(long)]
        clipboard: bool,
        /// Which part goes on the clipboard (1-based)
        #[arg(long, default_value_t = 1)]
        part: usize,
        #[arg(long)]
        json: bool,
    },
    /// Team and personal variables
    Vars {
        #[command(subcommand)]
        cmd: VarsCmd,
    },
    /// Libraries: the personal one and local team libraries
    Library {
        #[command(subcommand)]
        cmd: LibraryCmd,
    },
    /// The compliance check's rules and a library's own list (合规检查)
    ///
    /// The lead's choices for a library: words to flag too, phrases never flagged, and
    /// the rules that block (the app does not send a reply with such a word, and the sync
    /// server refuses to store one in a team library, 422 compliance_blocked) rather than
    /// warn. Kept in the library's variable @合规 and synced like its other variables.
    Compliance {
        #[arg(long, default_value = PERSONAL)]
        library: String,
        #[command(subcommand)]
        cmd: ComplianceCmd,
    },
    /// Campaign dates (生效 / 失效) of replies and folders: outside them a reply is not
    /// listed by the panel or `qreply search`, and `qreply fire` refuses it
    ///
    /// Dates are typed in Beijing time as 2026-11-11 or "2026-11-11 20:00". A start
    /// alone is that day's 00:00; an end date is the last day shown (失效 2026-11-12:
    /// still shown on 11-12, gone from 11-13 00:00); an end with a time is the moment it
    /// goes. A folder's dates apply to every reply inside it, sub-folders too. Stored and
    /// synced as RFC 3339 instants (2026-11-11T00:00:00+08:00).
    Dates {
        #[command(subcommand)]
        cmd: DatesCmd,
    },
    /// Check a library, or a source pack folder, and exit non-zero on problems
    ///
    /// Besides template syntax, variables, duplicates and images, every text is checked
    /// for compliance (合规检查): 《广告法》 absolute claims (最佳、第一、顶级、100% …), off-
    /// platform contact and payment (微信、加我、QQ、支付宝转账、phone numbers, links) and
    /// the platform's own list (other platforms named). A reply is checked for the
    /// platforms of its `apps:` (a WeChat-only reply as WeChat: no off-platform rules), or
    /// with every general rule when it has none; `--platform` checks every reply for one
    /// platform, as if it were sent there. A flagged word is a problem (exit code 1); a
    /// `{剪贴板}` mid-sentence is a warning only. Dates: one that does not read, or an end
    /// not after its start, is a problem; an expired reply (its 失效 or its folder's
    /// passed) is a warning. The rule sets and their sources: README,
    /// "合规检查 / Compliance check".
    Lint {
        /// A source pack folder (e.g. snippets/zh-CN) or a folder of packs (snippets/)
        path: Option<PathBuf>,
        #[arg(long)]
        library: Option<String>,
        /// Check every reply as sent on this platform: taobao (tmall, qianniu), jd, pdd,
        /// douyin, wechat (wecom), other (QQ, DingTalk, Feishu)
        #[arg(long, value_parser = parse_platform)]
        platform: Option<quickreply_core::compliance::Platform>,
    },
    /// Import a pack (source folder, .qrpack, CSV/XLSX incl. Qianniu's 快捷短语 export,
    /// espanso, Raycast, Alfred, TextExpander CSV or .textexpander, text) into a library
    ///
    /// Folders: an espanso config or `match/` folder is read as espanso does (every .yml,
    /// recursively, except files starting with `_` unless a file `imports:` them;
    /// `global_vars` apply to every match), an espanso package folder reads every .yml
    /// in it, a folder of Alfred snippet JSON files is one collection. Cursor markers
    /// (`$|$`, `{cursor}`) are removed; foreign dates keep their format as `{日期:%d.%m.%Y}`.
    /// Shortcuts are normalised the same way for every format (`/fh`, `;fh`, `:fh`, `FH`
    /// → `fh`); the original is kept as a tag, and a shortcut that cannot be a code (or
    /// is taken) is a note on its line: the reply is imported without it. Replies without
    /// a title get one cut from their text and are matched by their text, so importing
    /// the same file again reports every reply unchanged. A file or folder with nothing to
    /// import is an error (exit code 1). Writing to a pipe that closes early (`| head`)
    /// ends quietly with exit code 0.
    ///
    /// The report is one line per row: `skipped` (not imported, and why), `note`
    /// (imported, with a remark: a code dropped, a placeholder converted, a title cut),
    /// and with --preview one line per reply (`new`, `changed`, `unchanged`,
    /// `conflicting`). The preview runs the import's own plan and every check the
    /// library makes before writing (titles and folder names of at most 200 characters
    /// on one line, no empty text, `{…}` that parse, the size limit, codes, variable
    /// names): a reply, folder or variable that would be refused is a `skipped` line in
    /// the preview and is skipped by the import with the same line, the rest is imported
    /// in one transaction. The import prints the preview's lines that carry a remark, then
    /// the counts. A broken image refuses the whole file (preview and import alike)
    Import {
        path: PathBuf,
        #[arg(long, default_value = PERSONAL)]
        into: String,
        /// Only show what would change: new / changed / unchanged / skipped, per reply
        #[arg(long)]
        preview: bool,
        /// source, qrpack, csv, xlsx, espanso, raycast, alfred, textexpander or text
        /// (default: detected from the content; a headerless CSV that could be a
        /// TextExpander export or a title,content table asks for this)
        #[arg(long, value_parser = parse_format)]
        format: Option<packs::Format>,
        /// Changed replies and taken shortcut codes: skip, overwrite or keep-both
        #[arg(long, default_value = "keep-both", value_parser = parse_policy)]
        on_conflict: packs::Policy,
    },
    /// Export a library (or a source pack folder with --from) as .qrpack or CSV
    Export {
        /// Output file; its extension picks the format unless --format says
        #[arg(short, long)]
        output: PathBuf,
        /// qrpack, csv, xlsx, espanso, raycast or text
        #[arg(long, value_parser = parse_format)]
        format: Option<packs::Format>,
        #[arg(long, default_value = PERSONAL, conflicts_with = "from")]
        library: String,
        /// A source pack folder to export instead of a library (e.g. snippets/zh-CN)
        #[arg(long)]
        from: Option<PathBuf>,
    },
    /// The built-in replies: list the packs, or import one
    Builtin {
        #[command(subcommand)]
        cmd: BuiltinCmd,
    },
    /// Join a sync server with the owner setup code, an invite code or a pairing code
    Join {
        /// e.g. http://127.0.0.1:8787
        server: String,
        code: String,
        /// This computer's name in device lists (default: the host name)
        #[arg(long)]
        device: Option<String>,
        /// Your name as teammates see it (new members only)
        #[arg(long)]
        name: Option<String>,
    },
    /// Join by approval: shows a code and a QR code, and waits until a signed-in
    /// teammate approves it (qreply approve CODE, the app, or the admin page on a phone)
    Signin {
        /// e.g. https://sync.example.com
        server: String,
        /// This computer's name in device lists (default: the host name)
        #[arg(long)]
        device: Option<String>,
        /// Your name, if the approver lets you in as a new member
        #[arg(long)]
        name: Option<String>,
        /// Sign in by scanning a QR code with your phone's wecom (企业微信), feishu (飞书),
        /// dingtalk (钉钉), wechat (微信) or qq, as the server's owner set up: prints the
        /// provider's link (first line) and its QR code, and waits. A linked account signs
        /// in at once; an unknown one shows a code for a lead to approve
        #[arg(long = "with", value_name = "PROVIDER", value_parser = crate::scan_cmd::parse_provider)]
        with: Option<quickreply_core::proto::api::ScanProvider>,
    },
    /// Link your wecom / feishu / dingtalk / wechat / qq account to your membership: scan
    /// the QR code once, and scanning signs your new computers in (qreply signin URL --with
    /// PROVIDER). Without PROVIDER: lists your linked accounts; --unlink removes one
    Link {
        #[arg(value_parser = crate::scan_cmd::parse_provider)]
        provider: Option<quickreply_core::proto::api::ScanProvider>,
        #[arg(long, requires = "provider")]
        unlink: bool,
    },
    /// Let in a computer that shows a sign-in code: as another computer of yours, or with
    /// --member ROLE as a new member (lead/editor); --deny refuses it. Shows who asks
    /// (computer, name, app or browser, address, when) and asks 批准？[y/N] first
    Approve {
        code: String,
        #[arg(long, value_parser = sync_cmd::parse_role, conflicts_with = "deny")]
        member: Option<quickreply_core::proto::api::Role>,
        #[arg(long)]
        deny: bool,
        /// Approve without asking (for scripts; without a terminal it is needed)
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Every kept version of a synced reply: who changed it, from which computer, when
    History {
        /// Title, shortcut code or id
        reply: String,
        #[arg(long)]
        library: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Put a synced reply back as it was in an earlier version (see qreply history) and
    /// send that to the server
    Restore {
        /// Title, shortcut code or id
        reply: String,
        #[arg(long)]
        version: i64,
        #[arg(long)]
        library: Option<String>,
    },
    /// Create an invite code for the team (lead/editor), or with --pairing a code that
    /// adds another computer of yours
    Invite {
        /// agent, editor or owner
        #[arg(long, default_value = "agent", value_parser = sync_cmd::parse_role)]
        role: quickreply_core::proto::api::Role,
        /// How many computers may join with it
        #[arg(long, default_value_t = 1)]
        uses: u32,
        /// Valid for: 7d, 12h, 30m …
        #[arg(long, default_value = "7d", value_parser = sync_cmd::parse_duration)]
        expires: u64,
        #[arg(long)]
        pairing: bool,
    },
    /// Send local changes and receive the team's; --watch keeps going (live push)
    Sync {
        #[arg(long)]
        watch: bool,
    },
    /// Compare this computer with the sync server: "in sync" or exactly what differs
    /// (repairs a library whose content differs although nothing is pending); names the
    /// items skipped because they cannot be taken (an image missing on the server or no
    /// image: the rest is synced, they are tried again at every sync). Exit 2 unless all
    /// is in sync and nothing is skipped
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Local changes the server refused (or that break its limits), kept on this computer
    /// and not sent again until changed: list them, send them again, or discard them
    /// (the item goes back to the server's version)
    Refused {
        #[command(subcommand)]
        action: Option<RefusedCmd>,
        #[arg(long)]
        json: bool,
    },
    /// The team's computers (lead) or your own; --revoke NAME|ID stops one
    Devices {
        #[arg(long, value_name = "NAME|ID")]
        revoke: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Suggest a change of a team reply you cannot edit (建议修改), or with --new a new
    /// reply for a team library (建议新增). Kept on this computer and sent with the next
    /// sync (tried at once); a lead accepts or declines it, and `qreply suggestions`
    /// shows the outcome. --body (or --file) replaces the reply's text, images stay
    Suggest {
        /// The reply to change: title, shortcut code or id (not with --new)
        #[arg(required_unless_present = "new")]
        reply: Option<String>,
        /// Propose a new reply instead (needs --library, --title and --body or --file)
        #[arg(long, conflicts_with = "reply")]
        new: bool,
        /// The team library
        #[arg(long)]
        library: Option<String>,
        /// The proposed title
        #[arg(long)]
        title: Option<String>,
        /// The proposed text
        #[arg(long, conflicts_with = "file")]
        body: Option<String>,
        /// Read the proposed text from a file (UTF-8)
        #[arg(long)]
        file: Option<PathBuf>,
        /// Why (shown to the lead)
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Suggestions: an agent's own with their outcome; a lead's inbox with the current
    /// and the proposed text. `accept ID` (with --file: as you edited it), `decline ID
    /// --comment …`, `withdraw ID` (your own). ID: the short id the list shows
    Suggestions {
        #[command(subcommand)]
        cmd: Option<SuggestionsCmd>,
        #[arg(long)]
        json: bool,
    },
    /// The team's open invite and pairing codes (lead/editor): who made each, for which
    /// role, uses left, until when (never the code itself); `codes cancel ID` cancels one,
    /// so that it lets nobody in any more
    Codes {
        #[command(subcommand)]
        cmd: Option<CodesCmd>,
        #[arg(long)]
        json: bool,
    },
    /// The team's members and their computers (lead); `members remove NAME|ID` removes a
    /// member entirely
    Members {
        #[command(subcommand)]
        cmd: Option<MembersCmd>,
        #[arg(long)]
        json: bool,
    },
    /// Replies of a synced library no one fired in the last N days and older than them
    /// (Beijing dates, today included; lead/editor); --archive moves them all into the
    /// library's 归档 folder (created if missing), each request all or nothing; every
    /// computer gets the move at its next sync, and moving a reply back undoes it
    Stale {
        #[arg(long, default_value = PERSONAL)]
        library: String,
        /// N: 1–366
        #[arg(long, default_value_t = 90, value_parser = clap::value_parser!(u32).range(1..=366))]
        days: u32,
        /// Move the replies listed into the 归档 folder
        #[arg(long)]
        archive: bool,
        #[arg(long)]
        json: bool,
    },
    /// The most used replies of a synced library, all computers together (lead/editor)
    Usage {
        #[arg(long, default_value = PERSONAL)]
        library: String,
        #[arg(long, default_value_t = 30)]
        days: u32,
        /// The team's searches that found nothing instead (what the libraries do not answer yet)
        #[arg(long, conflicts_with = "library")]
        missed: bool,
        #[arg(long)]
        json: bool,
    },
    /// Leave the sync server; the replies stay on this computer
    Leave,
    #[command(name = "__hold-clipboard", hide = true)]
    HoldClipboard,
}

#[derive(Subcommand, Debug)]
pub(crate) enum CodesCmd {
    /// Cancel an open code by the ID `qreply codes` shows
    Cancel { id: String },
}

#[derive(Subcommand, Debug)]
pub(crate) enum SuggestionsCmd {
    /// Accept a suggestion (a lead): the reply is written as proposed, or with --file /
    /// --body as you edited its text; history credits its author
    Accept {
        id: String,
        #[arg(long, conflicts_with = "file")]
        body: Option<String>,
        #[arg(long)]
        file: Option<PathBuf>,
        /// A word for the author
        #[arg(long)]
        comment: Option<String>,
    },
    /// Decline a suggestion (a lead); the comment is shown to its author
    Decline {
        id: String,
        #[arg(long)]
        comment: String,
    },
    /// Take back a suggestion of yours that no lead has decided yet
    Withdraw { id: String },
}

#[derive(Subcommand, Debug)]
pub(crate) enum MembersCmd {
    /// Remove a member from the team (the owner): every computer of theirs is revoked
    /// and signed out at its next sync, their invite and pairing codes are cancelled, and
    /// sign-ins they approved are refused. Asks first unless --yes
    Remove {
        #[arg(value_name = "NAME|ID")]
        who: String,
        /// Do not ask for confirmation
        #[arg(long, short = 'y')]
        yes: bool,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum BuiltinCmd {
    /// The built-in packs and how many replies each has
    Ls,
    /// Import a built-in pack (zh-CN or en) into a library
    Import {
        /// zh-CN or en (named `pack`: `lang` is the global message-language flag)
        #[arg(default_value = "zh-CN", value_name = "LANG")]
        pack: String,
        #[arg(long, default_value = PERSONAL)]
        into: String,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum DatesCmd {
    /// Set (or with "" clear) a reply's 生效 / 失效, or a folder's with --folder
    Set {
        /// Id, shortcut code or exact title of a reply; with --folder a folder path
        key: String,
        /// The key is a folder path (its dates apply to everything inside it)
        #[arg(long)]
        folder: bool,
        /// 生效: shown from this date (or date and time), e.g. 2026-11-01; "" clears it
        #[arg(long, value_name = "DATE")]
        from: Option<String>,
        /// 失效: the last day shown (or the moment it goes), e.g. 2026-11-12; "" clears it
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
        #[arg(long)]
        library: Option<String>,
    },
    /// List the replies with dates: 未生效 (upcoming), 生效中 (active), 已过期 (expired)
    Ls {
        #[arg(long)]
        library: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum ComplianceCmd {
    /// Every rule (id, name, where it applies, warn or block) and the library's own words
    Show,
    /// Flag these words too (rule `team`)
    Add {
        #[arg(required = true)]
        words: Vec<String>,
    },
    /// Never flag these phrases: a match inside one passes (最新款 lets its 最 pass)
    Allow {
        #[arg(required = true)]
        words: Vec<String>,
    },
    /// Take words off the library's list and its allowed phrases
    Remove {
        #[arg(required = true)]
        words: Vec<String>,
    },
    /// Block these rules (ids from `show`, or `team` for the library's own words)
    Block {
        #[arg(required = true)]
        rules: Vec<String>,
    },
    /// Only warn again for these rules
    Warn {
        #[arg(required = true)]
        rules: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum VarsCmd {
    /// Set a variable, e.g. vars set 店铺名 小满家居. The variable 搜索同义词 extends
    /// search's synonyms: one group per line, e.g. "顺丰 SF 丰哥"
    Set {
        name: String,
        value: String,
        #[arg(long, default_value = PERSONAL)]
        library: String,
        /// A team value each agent may replace with a personal variable of the same name
        #[arg(long, conflicts_with = "fixed")]
        overridable: bool,
        /// The team value always applies (the default for new variables)
        #[arg(long)]
        fixed: bool,
    },
    Unset {
        name: String,
        #[arg(long, default_value = PERSONAL)]
        library: String,
    },
    Ls {
        #[arg(long)]
        library: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub(crate) enum LibraryCmd {
    Ls {
        #[arg(long)]
        json: bool,
    },
    /// Create a local team library (with --team: to be published to that team; without,
    /// a lead's device publishes it to the first team joined)
    Add { name: String },
}

pub(crate) fn parse_policy(s: &str) -> Result<packs::Policy, String> {
    packs::Policy::parse(s).ok_or_else(|| {
        tr(
            format!("未知策略「{s}」（可用：skip、overwrite、keep-both）"),
            format!("unknown policy \"{s}\" (known: skip, overwrite, keep-both)"),
        )
    })
}

pub(crate) fn parse_format(s: &str) -> Result<packs::Format, String> {
    packs::Format::parse(s).ok_or_else(|| {
        tr(
            format!("未知格式「{s}」（可用：source、qrpack、csv、xlsx、espanso、raycast、alfred、textexpander、text）"),
            format!("unknown format \"{s}\" (known: source, qrpack, csv, xlsx, espanso, raycast, alfred, textexpander, text)"),
        )
    })
}

#[derive(Subcommand, Debug)]
pub(crate) enum RefusedCmd {
    /// Send a refused change again at the next sync (after the lead changed your role or
    /// the server's limits); all of them with --all
    Retry {
        /// The reply's title (or the item's id), as qreply refused lists it
        #[arg(required_unless_present = "all")]
        which: Option<String>,
        #[arg(long)]
        all: bool,
    },
    /// Give up a refused change: the item goes back to the server's version (a reply
    /// made here that the server never took is deleted); all of them with --all
    Discard {
        /// The reply's title (or the item's id), as qreply refused lists it
        #[arg(required_unless_present = "all")]
        which: Option<String>,
        #[arg(long)]
        all: bool,
    },
}

/// `--platform`: a platform name, or a clear error naming the ones there are.
fn parse_platform(s: &str) -> Result<quickreply_core::compliance::Platform, String> {
    quickreply_core::compliance::Platform::parse(s).ok_or_else(|| {
        quickreply_core::i18n::tr(
            format!("未知平台「{s}」，可用：taobao、jd、pdd、douyin、wechat、other"),
            format!("unknown platform \"{s}\"; use taobao, jd, pdd, douyin, wechat or other"),
        )
    })
}
