//! The real `qreply` binary, driven as a user would.

mod common;

use common::{Qr, png};

#[test]
fn add_ls_search_fire_with_variables_and_prompts() {
    let q = Qr::new();
    q.ok([
        "add",
        "--title",
        "发货时间",
        "--code",
        "fh",
        "--folder",
        "物流",
        "--tag",
        "几天发",
        "--text",
        "亲，{店铺名}付款后{发货时间}内发货～",
    ]);
    q.ok([
        "add",
        "--title",
        "退货流程",
        "--folder",
        "售后/退换",
        "--text",
        "{?买家昵称}您好，在订单页申请退货即可",
    ]);
    q.ok([
        "add",
        "--title",
        "快递公司",
        "--code",
        "kd",
        "--folder",
        "物流",
        "--text",
        "默认{快递公司}，{日期}",
    ]);
    assert_eq!(
        Qr::titles(&q.ok(["ls"])),
        vec!["发货时间", "快递公司", "退货流程"]
    );
    assert_eq!(
        Qr::titles(&q.ok(["ls", "--folder", "售后"])),
        vec!["退货流程"]
    );
    assert_eq!(Qr::titles(&q.ok(["search", "fh"]))[0], "发货时间");
    assert_eq!(Qr::titles(&q.ok(["search", "tuihuo"]))[0], "退货流程");
    assert_eq!(Qr::titles(&q.ok(["search", "几天发"]))[0], "发货时间");
    assert_eq!(Qr::titles(&q.ok(["search", "kuaidi"]))[0], "快递公司");
    let json: serde_json::Value =
        serde_json::from_str(&q.ok(["search", "发货", "--json"])).expect("json");
    assert_eq!(json[0]["title"], "发货时间");
    assert_eq!(json[0]["code"], "fh");

    // Unset variables: a clear error, never raw braces.
    let r = q.run(["fire", "fh"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("unknown variable {店铺名}"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty());
    q.ok(["vars", "set", "店铺名", "小满家居"]);
    q.ok(["vars", "set", "发货时间", "48小时"]);
    assert_eq!(q.ok(["fire", "fh"]), "亲，小满家居付款后48小时内发货～\n");
    // Prompts: --set answers them; without an answer and no terminal it is an error.
    let r = q.run(["fire", "退货流程"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("{?买家昵称}"), "{}", r.stderr);
    assert_eq!(
        q.ok(["fire", "退货流程", "--set", "买家昵称=阿花"]),
        "阿花您好，在订单页申请退货即可\n"
    );
    // Built-ins.
    q.ok(["vars", "set", "快递公司", "中通"]);
    let today = q.ok(["fire", "kd"]);
    assert!(
        today.starts_with("默认中通，20") && today.trim_end().len() == "默认中通，".len() + 10,
        "{today}"
    );
    // Fired replies rank up on an empty-ish query.
    for _ in 0..3 {
        q.ok(["fire", "退货流程", "--set", "买家昵称=x"]);
    }
    let json: serde_json::Value =
        serde_json::from_str(&q.ok(["search", "货", "--json"])).expect("json");
    assert_eq!(json[0]["title"], "退货流程");
}

#[test]
fn parts_keep_the_order_of_text_and_image_flags() {
    let q = Qr::new();
    let img = q.dir.path().join("card.png");
    png(&img, 12, 8, [1, 2, 3, 255]);
    q.ok([
        "add",
        "--title",
        "尺码表",
        "--text",
        "先看图",
        "--image",
        img.to_str().expect("utf8"),
        "--text",
        "再问我",
    ]);
    let json: serde_json::Value =
        serde_json::from_str(&q.ok(["show", "尺码表", "--json"])).expect("json");
    let kinds: Vec<_> = json["parts"]
        .as_array()
        .expect("parts")
        .iter()
        .map(|p| p["type"].as_str().unwrap_or("").to_string())
        .collect();
    assert_eq!(kinds, vec!["text", "image", "text"]);
    assert_eq!(json["parts"][1]["width"], 12);
    let fired = q.ok(["fire", "尺码表"]);
    assert!(fired.starts_with("先看图\n\n[image 12×8: "), "{fired}");
    assert!(fired.ends_with("再问我\n"), "{fired}");
}

#[test]
fn edit_rm_and_libraries() {
    let q = Qr::new();
    q.ok(["library", "add", "售后组"]);
    assert_eq!(
        q.ok(["library", "ls"]),
        "personal\tpersonal\n售后组\tteam\n"
    );
    q.ok([
        "add",
        "--library",
        "售后组",
        "--title",
        "安抚",
        "--code",
        "af",
        "--text",
        "非常抱歉",
    ]);
    q.ok([
        "add",
        "--title",
        "安抚",
        "--code",
        "af",
        "--text",
        "我的版本",
    ]);
    // Same code in two libraries: ambiguous without --library.
    let r = q.run(["fire", "af"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("several"), "{}", r.stderr);
    assert_eq!(q.ok(["fire", "af", "--library", "售后组"]), "非常抱歉\n");
    q.ok([
        "edit",
        "af",
        "--library",
        "personal",
        "--title",
        "安抚2",
        "--text",
        "新内容",
        "--tag",
        "生气",
    ]);
    assert_eq!(q.ok(["fire", "安抚2"]), "新内容\n");
    let r = q.run(["edit", "安抚2", "--code", "Not OK"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("invalid"), "{}", r.stderr);
    q.ok(["rm", "安抚2"]);
    assert_eq!(
        Qr::titles(&q.ok(["ls", "--library", "personal"])),
        Vec::<String>::new()
    );
    q.ok([
        "add",
        "--library",
        "售后组",
        "--folder",
        "差评",
        "--title",
        "x",
        "--text",
        "y",
    ]);
    let r = q.run(["rm", "--library", "售后组", "--folder", "差评"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--recursive"), "{}", r.stderr);
    q.ok([
        "rm",
        "--library",
        "售后组",
        "--folder",
        "差评",
        "--recursive",
    ]);
    assert_eq!(
        Qr::titles(&q.ok(["ls", "--library", "售后组"])),
        vec!["安抚"]
    );
}

/// `qreply lint` checks compliance: a reply for its own apps' platforms, or every reply
/// for the `--platform` given; flagged words fail (exit 1), `{剪贴板}` mid-sentence warns.
#[test]
fn lint_checks_compliance_for_each_platform() {
    let q = Qr::new();
    q.ok([
        "add",
        "--title",
        "加微信",
        "--app",
        "wechat",
        "--text",
        "亲，添加客服微信，一对一服务～",
    ]);
    q.ok([
        "add",
        "--title",
        "包裹到了",
        "--text",
        "亲，包裹现在到了{剪贴板}，还在正常运输，我们第一时间跟进",
    ]);
    // the WeChat reply is fine as WeChat; the clipboard only warns
    let r = q.run(["lint"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(
        r.stdout.contains(
            "personal/包裹到了: 「包裹到了」 {剪贴板} is mid-sentence: whatever is on the clipboard is inserted when it is sent, unseen (warning)"
        ),
        "{}",
        r.stdout
    );
    // beside Qianniu it is flagged, with the rule, the reason and the platform
    let r = q.run(["lint", "--platform", "taobao"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains(
            "personal/加微信: 「加微信」 \"微信\": off-platform contact — every shopping platform forbids moving the buyer to another channel (WeChat, QQ, groups); it is penalised as off-platform traffic (Taobao/Tmall)"
        ),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("2 replies, 1 problems"), "{}", r.stdout);
    // an absolute claim fails everywhere, its idiom does not
    q.ok([
        "add",
        "--title",
        "好评",
        "--text",
        "这款是全网最好的，销量第一",
    ]);
    let r = q.run(["lint"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("\"全网最好的\": absolute claim (Advertising Law)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("\"第一\": absolute claim"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("第一时间"), "{}", r.stdout);
    // an unknown platform is a clear error
    let r = q.run(["lint", "--platform", "ebay"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("unknown platform \"ebay\"; use taobao, jd, pdd, douyin, wechat or other"),
        "{}",
        r.stderr
    );
    // a source pack: file:line, and the pack's own apps
    let pack = q.dir.path().join("pack");
    std::fs::create_dir_all(&pack).expect("mkdir");
    std::fs::write(pack.join("pack.toml"), "name = \"p\"\n").expect("toml");
    std::fs::write(
        pack.join("01-a.md"),
        "## 京东价保\napps: jd\n\n亲，京东价保在订单页申请\n\n## 引流\n\n亲，加我QQ 12345，\n或打 13812345678\n",
    )
    .expect("md");
    let r = q.run(["lint", pack.to_str().expect("utf8")]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let out = &r.stdout;
    assert!(
        out.contains("01-a.md:8: 「引流」 \"加我\": off-platform contact"),
        "{out}"
    );
    assert!(
        out.contains("01-a.md:8: 「引流」 \"QQ\": off-platform contact"),
        "{out}"
    );
    assert!(
        out.contains("01-a.md:9: 「引流」 \"13812345678\": off-platform contact: phone number"),
        "{out}"
    );
    assert!(
        out.contains("2 replies, 1 folders, 0 variables, 3 problems"),
        "{out}"
    );
    // the JD reply named in Pinduoduo's chat
    let r = q.run(["lint", "--platform", "pdd", pack.to_str().expect("utf8")]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("01-a.md:4: 「京东价保」 \"京东\": Pinduoduo: another platform named"),
        "{}",
        r.stdout
    );
}

/// `qreply compliance`: the lead's words, allowed phrases and blocked rules of a library,
/// used by `qreply lint` of that library.
#[test]
fn compliance_keeps_a_librarys_words_allowed_phrases_and_blocked_rules() {
    let q = Qr::new();
    q.ok(["library", "add", "售后组"]);
    q.ok([
        "compliance",
        "--library",
        "售后组",
        "block",
        "offsite-contact",
        "team",
    ]);
    q.ok(["compliance", "--library", "售后组", "add", "秒杀价", "清仓"]);
    let out = q.ok(["compliance", "--library", "售后组", "allow", "顶级棉"]);
    assert!(
        out.contains("library 售后组: 2 words, 1 allowed, blocked rules: offsite-contact, team"),
        "{out}"
    );
    let r = q.run([
        "compliance",
        "--library",
        "售后组",
        "block",
        "offsite-contacts",
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("there is no rule \"offsite-contacts\""),
        "{}",
        r.stderr
    );
    q.ok(["compliance", "--library", "售后组", "remove", "清仓"]);
    let shown = q.ok(["compliance", "--library", "售后组", "show"]);
    assert!(
        shown.contains("offsite-contact\toff-platform contact\tblock"),
        "{shown}"
    );
    assert!(
        shown.contains("ad-absolute\tabsolute claim (Advertising Law)\twarn"),
        "{shown}"
    );
    assert!(
        shown.contains("team\tthe team's words\tblock\t秒杀价\n"),
        "{shown}"
    );
    assert!(shown.contains("allowed: 顶级棉"), "{shown}");
    // lint of the library: blocked words say so, the allowed phrase passes
    q.ok([
        "add",
        "--library",
        "售后组",
        "--title",
        "上新",
        "--text",
        "顶级棉秒杀价，加我微信",
    ]);
    let r = q.run(["lint", "--library", "售后组"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout.contains(
            "\"秒杀价\": the team's word list — the team lead listed this word; the team blocks it"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("\"微信\": off-platform contact"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("顶级"), "{}", r.stdout);
    assert!(
        r.stdout.contains("library 售后组: 1 replies, 3 problems"),
        "{}",
        r.stdout
    );
    // the personal library has its own (empty) list
    let r = q.run(["lint", "--library", "personal"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn lint_reports_problems_with_places_and_exit_codes() {
    let q = Qr::new();
    q.ok([
        "add",
        "--title",
        "发货",
        "--folder",
        "物流",
        "--text",
        "{店铺名}发货",
    ]);
    let r = q.run(["lint"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(
        r.stdout
            .contains("personal/物流/发货: unknown variable {店铺名}"),
        "{}",
        r.stdout
    );
    q.ok(["vars", "set", "店铺名", "x"]);
    let r = q.run(["lint"]);
    assert_eq!(r.code, 0, "{}", r.stdout);

    // A source pack: file:line messages.
    let pack = q.dir.path().join("pack");
    std::fs::create_dir_all(&pack).expect("mkdir");
    std::fs::write(
        pack.join("pack.toml"),
        "name = \"p\"\n[variables.\"店铺名\"]\ndefault = \"x\"\n",
    )
    .expect("toml");
    std::fs::write(
        pack.join("01-物流.md"),
        "## 发货\ncode: fh\n\n{店铺名}发货\n\n## 发货\ncode: fh\n\n第一行\n{快递}到了\n",
    )
    .expect("md");
    std::fs::write(pack.join("02-空.md"), "# 空\n").expect("md");
    std::fs::create_dir_all(pack.join("images")).expect("mkdir");
    png(&pack.join("images/unused.png"), 2, 2, [0, 0, 0, 255]);
    let r = q.run(["lint", pack.to_str().expect("utf8")]);
    assert_eq!(r.code, 1);
    let out = r.stdout;
    assert!(
        out.contains("01-物流.md:6: duplicate title \"发货\""),
        "{out}"
    );
    assert!(
        out.contains("01-物流.md:6: duplicate shortcut code \"fh\""),
        "{out}"
    );
    assert!(
        out.contains("01-物流.md:10: unknown variable {快递}"),
        "{out}"
    );
    assert!(out.contains("02-空.md:1: folder \"空\" is empty"), "{out}");
    assert!(
        out.contains("unused.png: no reply uses this image"),
        "{out}"
    );
    assert!(
        out.contains("2 replies, 2 folders, 1 variables, 5 problems"),
        "{out}"
    );
}

#[test]
fn bad_input_is_refused_with_a_specific_error_and_changes_nothing() {
    let q = Qr::new();
    q.ok(["add", "--title", "a", "--text", "b"]);
    let db = q.data().join("quickreply.db");
    let snapshot = || q.ok(["ls", "--json"]);
    let before = snapshot();

    // Invalid UTF-8 in an argument (on Windows: a lone UTF-16 surrogate, what a broken
    // program may pass on the command line).
    {
        #[cfg(unix)]
        let bad = {
            use std::os::unix::ffi::OsStrExt;
            std::ffi::OsStr::from_bytes(b"\xff\xfe").to_os_string()
        };
        #[cfg(windows)]
        let bad = {
            use std::os::windows::ffi::OsStringExt;
            std::ffi::OsString::from_wide(&[0xD800, u16::from(b'x')])
        };
        let bad = bad.as_os_str();
        let out = q
            .cmd([
                std::ffi::OsStr::new("add"),
                std::ffi::OsStr::new("--title"),
                bad,
                std::ffi::OsStr::new("--text"),
                std::ffi::OsStr::new("x"),
            ])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("invalid UTF-8"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Not an image, a 200 MB "image", a missing file.
    let txt = q.dir.path().join("notes.png");
    std::fs::write(&txt, "just text").expect("write");
    let r = q.run([
        "add",
        "--title",
        "x",
        "--image",
        txt.to_str().expect("utf8"),
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("notes.png") && r.stderr.contains("not an image"),
        "{}",
        r.stderr
    );
    let huge = q.dir.path().join("huge.png");
    std::fs::File::create(&huge)
        .and_then(|f| f.set_len(200 * 1024 * 1024))
        .expect("sparse file");
    let r = q.run([
        "add",
        "--title",
        "x",
        "--image",
        huge.to_str().expect("utf8"),
    ]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("200.0 MB") && r.stderr.contains("limit"),
        "{}",
        r.stderr
    );
    let r = q.run(["add", "--title", "x", "--image", "/nonexistent/a.png"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("/nonexistent/a.png"), "{}", r.stderr);
    // Broken template, empty title, bad code, unknown library.
    for args in [
        vec!["add", "--title", "x", "--text", "亲{店铺名"],
        vec!["add", "--title", " ", "--text", "x"],
        vec!["add", "--title", "x", "--code", "发货", "--text", "x"],
        vec!["add", "--title", "x", "--library", "nope", "--text", "x"],
        vec!["add", "--title", "x"],
    ] {
        let r = q.run(&args);
        assert_eq!(r.code, 1, "{args:?} should fail: {}", r.stdout);
        assert!(!r.stderr.trim().is_empty());
    }
    assert_eq!(snapshot(), before, "nothing changed");
    assert!(
        !q.data().join("blobs").exists()
            || std::fs::read_dir(q.data().join("blobs"))
                .map(|d| d.count())
                .unwrap_or(0)
                == 0
    );

    // A damaged database file: specific error, file left as it was.
    drop(std::fs::remove_file(q.data().join("quickreply.db-wal")));
    drop(std::fs::remove_file(q.data().join("quickreply.db-shm")));
    std::fs::write(&db, vec![7u8; 4096]).expect("damage");
    let r = q.run(["ls"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("damaged or is not a QuickReply database"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(&db).expect("read"), vec![7u8; 4096]);
}

#[test]
fn messages_speak_chinese_by_default() {
    let q = Qr::new();
    let out = q
        .cmd(["fire", "不存在"])
        .env_remove("QUICKREPLY_LANG")
        .env("LANG", "C.UTF-8")
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("找不到话术「不存在」"), "{err}");
    let out = q
        .cmd(["--lang", "en", "fire", "不存在"])
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no reply with id"));
}

#[test]
fn export_and_import_qrpack_with_preview() {
    let q = Qr::new();
    let img = q.dir.path().join("card.png");
    png(&img, 10, 10, [9, 9, 9, 255]);
    q.ok([
        "add",
        "--title",
        "尺码表",
        "--folder",
        "售前",
        "--text",
        "看图",
        "--image",
        img.to_str().expect("utf8"),
    ]);
    q.ok([
        "add",
        "--title",
        "发货",
        "--code",
        "fh",
        "--folder",
        "物流",
        "--text",
        "48小时内",
    ]);
    let file = q.dir.path().join("out/personal.qrpack");
    let out = q.ok(["export", "-o", file.to_str().expect("utf8")]);
    assert!(out.contains("exported 2 replies in 2 folders"), "{out}");
    q.ok(["library", "add", "团队"]);
    let f = file.to_str().expect("utf8");
    let r = q.run(["import", f, "--into", "团队", "--preview"]);
    assert_eq!(r.code, 0);
    assert_eq!(
        r.stdout.lines().filter(|l| l.starts_with("new\t")).count(),
        2,
        "{}",
        r.stdout
    );
    assert!(r.stderr.contains("nothing written"));
    assert!(
        q.ok(["ls", "--library", "团队"]).is_empty(),
        "preview wrote nothing"
    );
    assert!(q.ok(["import", f, "--into", "团队"]).contains("2 added"));
    assert!(
        q.ok(["import", f, "--into", "团队"])
            .contains("0 added, 0 updated, 2 unchanged")
    );
    assert_eq!(
        Qr::titles(&q.ok(["ls", "--library", "团队"])),
        vec!["尺码表", "发货"]
    );
    // Not a pack: a clear error, nothing written.
    let junk = q.dir.path().join("junk.qrpack");
    std::fs::write(&junk, "PK\x03\x04 but not really").expect("write");
    let r = q.run(["import", junk.to_str().expect("utf8"), "--into", "团队"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("not a valid .qrpack"), "{}", r.stderr);
}

#[test]
fn csv_import_detects_encoding_and_export_defuses_formulas() {
    let q = Qr::new();
    // Saved by Excel on Chinese Windows: GB18030, Chinese header, an empty row to skip.
    let text = "分组,标题,快捷编码,内容\r\n物流,发货时间,fh,\"亲，48小时内发货\r\n请放心\"\r\n售后,空的,,\r\n议价,=HYPERLINK(x),,\"@SUM(1)\"\r\n";
    let (gbk, _, unmappable) = encoding_rs::GB18030.encode(text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&gbk).is_err(), "really not UTF-8");
    let file = q.dir.path().join("话术.csv");
    std::fs::write(&file, &gbk).expect("write");
    let f = file.to_str().expect("utf8");
    let r = q.run(["import", f, "--preview"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("skipped\t") && r.stdout.contains("话术.csv:4\tempty content"),
        "{}",
        r.stdout
    );
    q.ok(["import", f]);
    assert_eq!(q.ok(["fire", "fh"]), "亲，48小时内发货\n请放心\n");
    let out = q.dir.path().join("out.csv");
    q.ok(["export", "-o", out.to_str().expect("utf8")]);
    let written = std::fs::read_to_string(&out).expect("read");
    assert!(
        written.starts_with("\u{feff}group,title,shortcut,content,tags"),
        "{written}"
    );
    assert!(
        written.contains("'=HYPERLINK(x)") && written.contains("'@SUM(1)"),
        "{written}"
    );
    // Importing our own export back changes nothing (issue #17): the guard's apostrophe
    // is not taken for an edit, so no "…（导入）" copies appear.
    let listed = q.ok(["ls"]);
    q.ok(["import", out.to_str().expect("utf8"), "--into", "personal"]);
    assert_eq!(q.ok(["ls"]), listed);
    // Ragged rows: the line is named and nothing is imported.
    let bad = q.dir.path().join("bad.csv");
    std::fs::write(&bad, "标题,内容\na,b\nc,d,e\n").expect("write");
    let before = q.ok(["ls"]);
    let r = q.run(["import", bad.to_str().expect("utf8")]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("bad.csv:3"), "{}", r.stderr);
    assert_eq!(q.ok(["ls"]), before);
}

#[test]
fn other_tools_formats_round_trip_through_the_cli() {
    let q = Qr::new();
    q.ok([
        "add",
        "--title",
        "发货",
        "--code",
        "fh",
        "--text",
        "亲，{日期}已发货，单号{剪贴板}",
    ]);
    q.ok(["add", "--title", "称呼", "--text", "{?买家昵称}您好"]);
    for (file, lib) in [
        ("m.yml", "espanso"),
        ("r.json", "raycast"),
        ("p.txt", "text"),
    ] {
        let path = q.dir.path().join(file);
        let p = path.to_str().expect("utf8");
        let r = q.run(["export", "-o", p]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        // Raycast has no blanks; espanso takes them as a form's fields.
        let keeps_blanks = lib != "raycast";
        if !keeps_blanks {
            assert!(
                r.stderr.contains("称呼"),
                "{lib}: prompts are reported as left out: {}",
                r.stderr
            );
        }
        q.ok(["library", "add", lib]);
        let out = q.ok(["import", p, "--into", lib]);
        assert!(
            out.contains(if keeps_blanks { "2 added" } else { "1 added" }),
            "{lib}: {out}"
        );
        if lib == "espanso" {
            let blank: serde_json::Value =
                serde_json::from_str(&q.ok(["search", "称呼", "--library", lib, "--json"]))
                    .expect("json");
            assert_eq!(
                blank[0]["parts"][0]["body"].as_str(),
                Some("{?买家昵称}您好"),
                "{lib}"
            );
        }
        let shown: serde_json::Value =
            serde_json::from_str(&q.ok(["search", "发货", "--library", lib, "--json"]))
                .expect("json");
        let body = shown[0]["parts"][0]["body"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        assert!(
            body.contains("{日期}") && body.contains("{剪贴板}"),
            "{lib}: {body}"
        );
    }
}

#[test]
fn first_run_offers_the_built_in_replies() {
    let q = Qr::new();
    let r = q.run(["search", "fh"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stderr.contains("qreply builtin import zh-CN"),
        "{}",
        r.stderr
    );
    let out = q.ok(["builtin", "ls"]);
    assert!(out.contains("zh-CN\t") && out.contains("en\t"), "{out}");
    assert!(q.ok(["builtin", "import"]).contains("added"));
    // The pack's shop facts are only examples: the variable is unset, so the reply is
    // refused by name (both languages), never sent with the example (48小时).
    let r = q.run(["fire", "fh"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert!(
        r.stderr.contains("{发货时间} has no value yet")
            && r.stderr.contains("qreply vars set 发货时间 VALUE")
            && !r.stderr.contains("48小时"),
        "{}",
        r.stderr
    );
    let zh = q
        .cmd(["fire", "fh", "--clipboard"])
        .env("QUICKREPLY_LANG", "zh-CN")
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&zh.stderr);
    assert!(
        !zh.status.success()
            && err.contains("变量 {发货时间} 还没有设置")
            && err.contains("qreply vars set 发货时间 值"),
        "{err}"
    );
    // `vars ls` says so, with the example as a hint.
    let ls = q.ok(["vars", "ls"]);
    assert!(ls.contains("发货时间\t(unset, e.g. 48小时)"), "{ls}");
    let json: serde_json::Value =
        serde_json::from_str(&q.ok(["vars", "ls", "--json"])).expect("json");
    let row = json
        .as_array()
        .and_then(|a| a.iter().find(|r| r["name"] == "发货时间"))
        .cloned()
        .expect("listed");
    assert_eq!(
        (row["value"].clone(), row["example"].clone()),
        (serde_json::Value::Null, "48小时".into())
    );
    // --set answers it for one fire; `vars set` keeps a value.
    assert!(
        q.ok(["fire", "fh", "--set", "发货时间=12小时"])
            .contains("12小时")
    );
    assert_eq!(
        q.run(["fire", "fh"]).code,
        1,
        "--set was for that fire only"
    );
    q.ok(["vars", "set", "发货时间", "24小时"]);
    let fired = q.ok(["fire", "fh"]);
    assert!(fired.contains("24小时") && !fired.contains('{'), "{fired}");
    let r = q.run(["search", "fh"]);
    assert!(
        !r.stderr.contains("builtin import"),
        "no offer once there are replies"
    );
    assert!(q.ok(["builtin", "import"]).contains("0 added"));
    let r = q.run(["builtin", "import", "xx"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("there are: en, zh-CN"), "{}", r.stderr);
}

/// Windows: an agent exports over a CSV that Excel still holds open (no sharing). The
/// export fails with the file named and the reason, the old file is untouched, and no
/// temporary file is left beside it; once Excel lets go the same export works.
#[cfg(windows)]
#[test]
fn export_over_a_file_another_program_holds_open_says_so_and_changes_nothing() {
    use std::os::windows::fs::OpenOptionsExt;
    let q = Qr::new();
    q.ok(["add", "--title", "发货时间", "--text", "亲，48小时内发货～"]);
    let out = q.dir.path().join("话术导出.csv");
    std::fs::write(&out, "old content").expect("write");
    let held = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .share_mode(0)
        .open(&out)
        .expect("hold the file as Excel does");
    let r = q.run(["export", "-o", out.to_str().expect("utf8")]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("话术导出.csv") && r.stderr.contains("open in another program"),
        "{}",
        r.stderr
    );
    drop(held);
    assert_eq!(std::fs::read_to_string(&out).expect("read"), "old content");
    let leftovers: Vec<_> = std::fs::read_dir(q.dir.path())
        .expect("list")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    q.ok(["export", "-o", out.to_str().expect("utf8")]);
    assert!(
        std::fs::read_to_string(&out)
            .expect("read")
            .contains("发货时间")
    );
}

/// `qreply search … | head`: the reader stops early and closes the pipe. That is a normal
/// end for every command that prints (issue #18 item 11): exit code 0, nothing on stderr.
#[test]
fn a_reader_that_stops_early_is_a_normal_end() {
    use std::io::Read;
    use std::process::Stdio;
    let q = Qr::new();
    // Far more output than a pipe holds (64 KiB on Linux, 4 KiB elsewhere), so qreply is
    // still writing when the reader goes away, whatever the timing.
    let mut csv = String::from("标题,内容\n");
    for i in 0..3000 {
        csv.push_str(&format!(
            "发货说明第{i}条：付款后四十八小时内发出,亲，今天下午五点前付款的订单当天发货，编号 {i}\n"
        ));
    }
    let file = q.dir.path().join("many.csv");
    std::fs::write(&file, csv).expect("write");
    let f = file.to_str().expect("utf8");
    q.ok(["import", f]);
    for args in [
        // println! lines (one per reply of the preview)
        vec!["import", f, "--preview"],
        vec!["search", "发货", "--limit", "5000"],
        vec!["search", "发货", "--limit", "5000", "--json"],
        vec!["ls"],
        vec!["ls", "--json"],
    ] {
        let mut child = q
            .cmd(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn qreply");
        let mut out = child.stdout.take().expect("stdout");
        let mut first = [0u8; 256];
        out.read_exact(&mut first).expect("some output");
        drop(out);
        let done = child.wait_with_output().expect("wait");
        let stderr = String::from_utf8_lossy(&done.stderr);
        assert_eq!(done.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(
            stderr.is_empty(),
            "{args:?}: a closed pipe is not an error: {stderr}"
        );
    }
}

fn fixture(name: &str) -> String {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
        .to_string_lossy()
        .into_owned()
}

/// Issue #18 items 1, 3 and 7 through the CLI: Qianniu's export (CSV in GBK, XLSX) and
/// TextExpander's (backslash-quoted CSV, `.textexpander` property list) import without
/// `--format`; per-line notes (a shortcut that cannot be a code, a date format turned
/// into a prompt, a script snippet) are listed by preview and import alike; a headerless
/// CSV that could be either asks for `--format`.
#[test]
fn qianniu_and_textexpander_exports_import_with_per_line_notes() {
    let q = Qr::new();
    for (lib, file, replies, note) in [
        (
            "qn",
            "千牛快捷短语-导出.csv",
            6,
            "千牛快捷短语-导出.csv:7\t",
        ),
        ("qnx", "千牛快捷短语-导出.xlsx", 3, ""),
        (
            "te",
            "textexpander-backslash.csv",
            4,
            "textexpander-backslash.csv:4\t",
        ),
        ("tep", "客服常用.textexpander", 2, "script"),
    ] {
        q.ok(["library", "add", lib]);
        let f = fixture(file);
        let preview = q.run(["import", &f, "--into", lib, "--preview"]);
        assert_eq!(preview.code, 0, "{file}: {}", preview.stderr);
        // New, or new without its taken code (Qianniu's `/FH` after `/fh`).
        let new = preview
            .stdout
            .lines()
            .filter(|l| l.starts_with("new\t") || l.starts_with("conflicting\t"))
            .count();
        assert_eq!(new, replies, "{file}: {}", preview.stdout);
        assert!(preview.stdout.contains(note), "{file}: {}", preview.stdout);
        let out = q.ok(["import", &f, "--into", lib]);
        assert!(out.contains(&format!("{replies} added")), "{file}: {out}");
        assert!(
            out.contains(note),
            "{file}: the import lists the same notes: {out}"
        );
        let again = q.ok(["import", &f, "--into", lib]);
        assert!(again.contains("0 added, 0 updated"), "{file}: {again}");
    }
    assert_eq!(
        q.ok(["fire", "kd", "--library", "qn"]),
        "默认发中通快递，需要顺丰请补差价，谢谢亲\"理解\"！\n"
    );
    let track: serde_json::Value =
        serde_json::from_str(&q.ok(["show", "track", "--library", "te", "--json"])).expect("json");
    assert_eq!(
        track["parts"][0]["body"],
        "Your order is marked \"shipped\"; tracking number: {剪贴板}"
    );
    assert_eq!(track["tags"][0], ";track");
    // `/fh` is searchable as Qianniu users type it.
    let hits = q.ok(["search", "/fh", "--library", "qn"]);
    assert!(
        hits.lines().next().is_some_and(|l| l.contains("\tfh\t")),
        "{hits}"
    );
    // Two columns of plain words: ask, do not guess.
    let two = q.dir.path().join("two.csv");
    std::fs::write(&two, "ty,Thank you for your order\nbye,See you soon\n").expect("write");
    let two = two.to_str().expect("utf8");
    let r = q.run(["import", two, "--preview"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("--format textexpander"), "{}", r.stderr);
    let r = q.run(["import", two, "--preview", "--format", "textexpander"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = q.run(["import", two, "--preview", "--format", "csv"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

/// Issue #18 item 10: export to CSV, import into an empty library: bodies starting with
/// `-` or `=`, with trailing spaces and blank lines, come back identical.
#[test]
fn csv_export_imports_back_identical() {
    let q = Qr::new();
    for (title, body) in [
        ("减价", "-5元优惠券今天可用  \n\n"),
        ("公式", "=今天下单，明天发货"),
        ("缩进", "  第一行前有空格\n\n第三行  "),
    ] {
        q.ok(["add", "--title", title, &format!("--text={body}")]);
    }
    let out = q.dir.path().join("all.csv");
    let out = out.to_str().expect("utf8");
    q.ok(["export", "-o", out]);
    q.ok(["library", "add", "back"]);
    q.ok(["import", out, "--into", "back"]);
    let parts = |lib: &str| -> Vec<(String, serde_json::Value)> {
        let v: serde_json::Value =
            serde_json::from_str(&q.ok(["ls", "--library", lib, "--json"])).expect("json");
        let mut rows: Vec<(String, serde_json::Value)> = v
            .as_array()
            .expect("array")
            .iter()
            .map(|s| (s["title"].to_string(), s["parts"].clone()))
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        rows
    };
    assert_eq!(parts("back"), parts("personal"));
}

/// `qreply fire` on a terminal asks for a variable that has no value yet (the example as
/// a hint, never as the answer) and says how to stop being asked; an empty answer sends
/// nothing.
#[cfg(unix)]
#[test]
fn fire_on_a_terminal_asks_for_an_unset_variable() {
    let q = Qr::new();
    q.ok(["builtin", "import"]);
    let on_tty = |input: &str| {
        use std::io::Write;
        let line = format!(
            "'{}' --data-dir '{}' fire fh",
            env!("CARGO_BIN_EXE_qreply"),
            q.data().display()
        );
        let mut child = std::process::Command::new("script")
            .args(["-qefc", &line, "/dev/null"])
            .env("QUICKREPLY_LANG", "en")
            .env_remove("QUICKREPLY_DATA_DIR")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("util-linux script for a pseudo-terminal");
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(input.as_bytes()).expect("type");
        let out = child.wait_with_output().expect("run");
        drop(stdin);
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).replace("\r\n", "\n"),
        )
    };
    let (ok, shown) = on_tty("12小时\n");
    assert!(ok, "{shown}");
    assert!(
        shown.contains("{发货时间} has no value yet (e.g. 48小时): "),
        "{shown}"
    );
    assert!(
        shown.contains("付款后12小时内发出") && !shown.contains("付款后48小时"),
        "{shown}"
    );
    assert!(shown.contains("qreply vars set 发货时间 VALUE"), "{shown}");
    // Asked again next time: the answer was for that fire.
    let (ok, shown) = on_tty("\n");
    assert!(!ok, "{shown}");
    assert!(
        shown.contains("not sent") && !shown.contains("付款后48小时"),
        "{shown}"
    );
}
