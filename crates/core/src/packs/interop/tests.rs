//! Unit tests of `interop`.

use super::*;
use crate::source::{ImageRef, Pack, PackPart};

fn bodies(p: &Pack) -> Vec<(String, Option<String>, String)> {
    p.snippets
        .iter()
        .map(|s| match &s.parts[0] {
            PackPart::Text { body, .. } => (s.title.clone(), s.code.clone(), body.clone()),
            PackPart::Image { .. } => (s.title.clone(), s.code.clone(), "<image>".into()),
        })
        .collect()
}

#[test]
fn espanso_matches_map_vars_and_list_what_cannot_be_mapped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let yml = r#"
matches:
  - trigger: ":fh"
    label: 发货时间
    replace: "亲，{{today}} 已发货，单号 {{clip}}，{注意}"
    vars:
      - name: today
        type: date
        params:
          format: "%Y-%m-%d"
      - name: clip
        type: clipboard
  - triggers: [":hi", ":hello"]
    replace: "您好"
  - regex: ":calc(?P<x>.*)"
    replace: "x"
  - trigger: ":sh"
    replace: "{{out}}"
    vars:
      - name: out
        type: shell
        params: { cmd: "date" }
  - trigger: ":pic"
    image_path: "$CONFIG/images/none.png"
"#;
    let path = dir.path().join("base.yml");
    std::fs::write(&path, yml).expect("write");
    let (pack, skipped) = read_espanso(&path).expect("read");
    assert_eq!(
        bodies(&pack),
        vec![
            (
                "发货时间".into(),
                Some("fh".into()),
                "亲，{日期} 已发货，单号 {剪贴板}，{{注意}}".into()
            ),
            ("您好".into(), Some("hi".into()), "您好".into()),
        ]
    );
    // Every trigger as espanso had it stays searchable (issue #18 item 3).
    assert_eq!(pack.snippets[1].tags, vec![":hi", ":hello"]);
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    assert!(skipped.iter().any(|s| s.reason.contains("regex")));
    assert!(skipped.iter().any(|s| s.reason.contains("shell")));
    assert!(skipped.iter().any(|s| s.reason.contains("none.png")));
    // Round trip through our writer.
    let (out, left) = write_espanso(&pack);
    assert!(left.is_empty());
    std::fs::write(&path, out).expect("write");
    let (again, skipped) = read_espanso(&path).expect("read again");
    assert!(skipped.is_empty());
    assert_eq!(
        bodies(&again)[0].2,
        "亲，{日期} 已发货，单号 {剪贴板}，{{注意}}"
    );
}

#[test]
fn zipped_espanso_package() {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default();
    w.start_file("shop/_manifest.yml", o).expect("start");
    w.write_all(b"name: shop\ntitle: Shop replies\nversion: 0.1.0\n")
        .expect("w");
    w.start_file("shop/package.yml", o).expect("start");
    w.write_all("matches:\n  - trigger: \":fh\"\n    replace: \"亲，已发货\"\n".as_bytes())
        .expect("w");
    let bytes = w.finish().expect("finish").into_inner();
    let (pack, skipped) =
        read_espanso_zip(std::io::Cursor::new(bytes), Path::new("shop.zip")).expect("read");
    assert!(skipped.is_empty());
    assert_eq!(pack.meta.name, "Shop replies");
    assert_eq!(
        bodies(&pack),
        vec![("亲，已发货".into(), Some("fh".into()), "亲，已发货".into())]
    );
    assert_eq!(pack.snippets[0].folder, "Shop replies");
}

#[test]
fn zipped_espanso_package_images_come_from_the_archive() {
    use std::io::Write;
    let mut png = std::io::Cursor::new(Vec::new());
    image::RgbaImage::from_pixel(4, 3, image::Rgba([200, 30, 30, 255]))
        .write_to(&mut png, image::ImageFormat::Png)
        .expect("png");
    let png = png.into_inner();
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default();
    w.start_file("shop/package.yml", o).expect("start");
    w.write_all(
            "matches:\n  - trigger: \":cm\"\n    image_path: \"$CONFIG/images/size.png\"\n  - trigger: \":no\"\n    image_path: \"images/missing.png\"\n  - trigger: \":up\"\n    image_path: \"../escape.png\"\n"
                .as_bytes(),
        )
        .expect("w");
    w.start_file("shop/images/size.png", o).expect("start");
    w.write_all(&png).expect("w");
    let bytes = w.finish().expect("finish").into_inner();
    let (pack, skipped) =
        read_espanso_zip(std::io::Cursor::new(bytes), Path::new("shop.zip")).expect("read");
    assert_eq!(pack.snippets.len(), 1);
    match pack.snippets[0].parts.first() {
        Some(PackPart::Image {
            image: ImageRef::Bytes { name, data },
            ..
        }) => {
            assert_eq!(name, "shop/images/size.png");
            assert_eq!(&data[..], &png[..]);
        }
        other => panic!("not an image from the archive: {other:?}"),
    }
    // A missing image and one outside the package are listed, not followed.
    assert_eq!(skipped.len(), 2, "{skipped:?}");
}

#[test]
fn yaml_bombs_are_refused() {
    let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nmatches: [*c]\n";
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bomb.yml");
    std::fs::write(&path, bomb).expect("write");
    let e = read_espanso(&path)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(e.contains("bomb.yml"), "{e}");
}

#[test]
fn raycast_and_alfred_placeholders() {
    let json = r#"[{"name": "单号", "text": "您的单号：{clipboard} {cursor} 时间 {date}，{argument name=\"昵称\"} {weird}", "keyword": "dh"}]"#;
    let (pack, skipped) = read_raycast(json.as_bytes(), Path::new("r.json")).expect("read");
    assert_eq!(
        bodies(&pack),
        vec![(
            "单号".into(),
            Some("dh".into()),
            "您的单号：{剪贴板}  时间 {日期}，{?昵称} {{weird}}".into()
        )]
    );
    // The cursor had text after it, and {date} followed the system's locale: both noted.
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert!(skipped.iter().any(|s| s.reason.contains("{cursor}")));
    assert!(skipped.iter().any(|s| s.reason.contains("{date}")));
    let (out, left) = write_raycast(&pack);
    assert_eq!(left, vec!["单号"], "prompts cannot be written to Raycast");
    assert_eq!(out.trim(), "[]");
    assert!(read_raycast(b"{not json", Path::new("x.json")).is_err());
}

#[test]
fn alfred_collection_zip() {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default();
    w.start_file("a-UID1.json", o).expect("start");
    w.write_all(r#"{"alfredsnippet": {"snippet": "亲，{clipboard}", "uid": "1", "name": "粘贴单号", "keyword": "dh"}}"#.as_bytes()).expect("w");
    w.start_file("info.plist", o).expect("start");
    w.write_all(b"<plist/>").expect("w");
    w.start_file("b.json", o).expect("start");
    w.write_all(b"{}").expect("w");
    let bytes = w.finish().expect("finish").into_inner();
    let (pack, skipped) =
        read_alfred(std::io::Cursor::new(bytes), Path::new("c.alfredsnippets")).expect("read");
    assert_eq!(
        bodies(&pack),
        vec![("粘贴单号".into(), Some("dh".into()), "亲，{剪贴板}".into())]
    );
    assert_eq!(skipped.len(), 1);
}

#[test]
fn textexpander_and_plain_text() {
    let csv = "fh,\"亲，已发货 %clipboard\",发货\n;sig,\"%fill:name%\",签名\nzz,,空\n";
    let (pack, skipped) = read_textexpander(csv.as_bytes(), Path::new("t.csv")).expect("read");
    assert_eq!(
        bodies(&pack),
        vec![(
            "发货".into(),
            Some("fh".into()),
            "亲，已发货 {剪贴板}".into()
        )]
    );
    assert_eq!(skipped.len(), 2);
    let text = "# 发货\n亲，48小时内发货\n\n欢迎光临{小店}\n第二行\n";
    let (pack, _) = read_text(text.as_bytes(), Path::new("p.txt")).expect("read");
    assert_eq!(
        bodies(&pack),
        vec![
            ("发货".into(), None, "亲，48小时内发货".into()),
            (
                "欢迎光临{小店}".into(),
                None,
                "欢迎光临{{小店}}\n第二行".into()
            )
        ]
    );
    assert_eq!(pack.snippets[1].origin.to_string(), "p.txt:4");
    let out = write_text(&pack);
    assert!(out.starts_with("# 发货\n亲，48小时内发货\n\n"));
}

#[test]
fn titles_are_cut_at_a_sentence_clause_or_word_and_show_braces_as_seen() {
    // Short: the whole first line, without its closing punctuation.
    assert_eq!(
        title_of("在的亲，请问有什么可以帮您？\n第二行"),
        "在的亲，请问有什么可以帮您"
    );
    // Braces as the user sees them, variables as written.
    assert_eq!(
        title_of("欢迎光临{{小店}}，{日期}发货"),
        "欢迎光临{小店}，{日期}发货"
    );
    // A clause boundary past half the width wins over an early sentence end.
    assert_eq!(
        title_of("亲，您好！我们的商品都是正品保证，支持七天无理由退换货，请放心购买哦"),
        "亲，您好！我们的商品都是正品保证…"
    );
    // A sentence end past half the width: cut there, no ellipsis.
    assert_eq!(
        title_of("您好，我们的商品都是正品保证。支持七天无理由退换货，请放心购买哦"),
        "您好，我们的商品都是正品保证"
    );
    // Latin text is cut between words, never inside one.
    let t = title_of(
        "Thanks for your order! We ship within two business days from our Berlin warehouse.",
    );
    assert_eq!(t, "Thanks for your order");
    let t =
        title_of("Your parcel is on its way to 1600 Amphitheatre Parkway Mountain View California");
    assert!(t.ends_with('…') && !t.contains("Califor"), "{t}");
    assert!(t.chars().count() <= 41, "{t}");
    // An order number is not split: the cut backs off to before it.
    let t = title_of("亲亲您的订单号是SF1234567890123456789012345678");
    assert_eq!(t, "亲亲您的订单号是…");
    // Never longer than the store's limit, whatever the input.
    assert!(title_of(&"长".repeat(5000)).chars().count() <= 41);
    assert!(fit_name(&"长".repeat(5000)).chars().count() <= 200);
    assert_eq!(fit_name("两行\n标题"), "两行 标题");
}

#[test]
fn unicode_date_patterns_map_to_strftime_and_back() {
    assert_eq!(
        icu_to_strftime("yyyy-MM-dd, HH:mm").as_deref(),
        Some("%Y-%m-%d, %H:%M")
    );
    assert_eq!(icu_to_strftime("d MMM yyyy").as_deref(), Some("%-d %b %Y"));
    assert_eq!(
        icu_to_strftime("yyyy年M月d日 EEEE").as_deref(),
        Some("%Y年%-m月%-d日 %A")
    );
    assert_eq!(
        icu_to_strftime("h:mm a 'o''clock'").as_deref(),
        Some("%-I:%M %p o'clock")
    );
    assert_eq!(icu_to_strftime("100%").as_deref(), Some("100%%"));
    // Fields strftime has no equivalent for: not mapped (the caller keeps a prompt).
    assert_eq!(icu_to_strftime("yyyy-'W'ww"), None);
    assert_eq!(icu_to_strftime("zzzz"), None);
    assert_eq!(strftime_to_icu("%d.%m.%Y").as_deref(), Some("dd.MM.yyyy"));
    assert_eq!(
        strftime_to_icu("%Y年%m月%d日 %H:%M").as_deref(),
        Some("yyyy年MM月dd日 HH:mm")
    );
    assert_eq!(strftime_to_icu("at %H h").as_deref(), Some("'at 'HH' h'"));
    assert_eq!(strftime_to_icu("%Q"), None);
}

#[test]
fn curly_dates_keep_their_format_and_foreign_markers_never_stay() {
    let (body, notes) = from_curly_placeholders(
        "发货时间 {date format=\"yyyy-MM-dd, HH:mm\"}，到货 {date \"MM/dd\"}，现在 {time format=\"HH:mm:ss\"}",
    );
    assert_eq!(
        body,
        "发货时间 {日期:%Y-%m-%d, %H:%M}，到货 {日期:%m/%d}，现在 {时间:%H:%M:%S}"
    );
    assert!(notes.is_empty(), "{notes:?}");
    // Alfred's custom format after a colon; its locale styles are noted.
    let (body, notes) = from_curly_placeholders("{date:dd.MM.yyyy} {date:short} {datetime:long}");
    assert_eq!(body, "{日期:%d.%m.%Y} {日期} {日期} {时间}");
    assert_eq!(notes.len(), 2, "{notes:?}");
    // {datetime} and {day} map to ours, noted; {day} in Chinese text is {星期}.
    let (body, notes) = from_curly_placeholders("今天{day}，{datetime}");
    assert_eq!(body, "今天{星期}，{日期} {时间}");
    assert_eq!(notes.len(), 2, "{notes:?}");
    let (body, _) = from_curly_placeholders("See you {day}");
    assert_eq!(body, "See you {weekday}");
    // Tomorrow keeps its format; other offsets cannot be said: a prompt, noted.
    let (body, notes) =
        from_curly_placeholders("{date offset=\"+1d\" format=\"M月d日\"} {date +3d}");
    assert_eq!(body, "{明天:%-m月%-d日} {?date +3d}");
    assert_eq!(notes.len(), 1, "{notes:?}");
    // A pattern field strftime lacks: a prompt, noted; never a different format.
    let (body, notes) = from_curly_placeholders("{date format=\"ww\"}");
    assert_eq!(body, "{?date format=\"ww\"}");
    assert_eq!(notes.len(), 1);
    // {cursor} is removed everywhere, also after a stray brace; silent at the end.
    let (body, notes) = from_curly_placeholders("a { b {cursor}");
    assert_eq!(body, "a {{ b ");
    assert!(notes.is_empty(), "{notes:?}");
    let (body, notes) = from_curly_placeholders("Dear {cursor}, thanks");
    assert_eq!(body, "Dear , thanks");
    assert_eq!(notes.len(), 1);
    // Placeholders we cannot express become prompts, not literal text.
    let (body, notes) = from_curly_placeholders("{uuid} {clipboard offset=2} {selection}");
    assert_eq!(body, "{?uuid} {?clipboard offset=2} {?selection}");
    assert_eq!(notes.len(), 3);
    // Every body parses as our template.
    for text in [
        "{date format=\"yyyy}\"}",
        "{{cursor}}",
        "x}{y",
        "{argument name=\"a}\"}",
    ] {
        let (body, _) = from_curly_placeholders(text);
        assert!(crate::template::parse(&body).is_ok(), "{text} → {body}");
    }
}

#[test]
fn foreign_triggers_become_codes_the_same_way_everywhere() {
    // Issue #18 item 3: TextExpander, Qianniu, espanso, Alfred, full-width input.
    for (trigger, code) in [
        (";hello", Some("hello")),
        ("/fh", Some("fh")),
        (":fh", Some("fh")),
        (";e:+1", Some("e1")),
        ("FH", Some("fh")),
        ("／ＦＨ", Some("fh")),
        ("  ,,addr  ", Some("addr")),
        ("/发货", None),
        (";;;", None),
        (":averyveryverylongtrigger", None),
    ] {
        assert_eq!(code_of(trigger).as_deref(), code, "{trigger}");
    }
    let t = from_triggers(&["/fh"]);
    assert_eq!(
        (t.code.as_deref(), t.tags, t.note),
        (Some("fh"), vec!["/fh".to_string()], None)
    );
    // Only case differs: nothing to keep besides the code.
    assert!(from_triggers(&["FH"]).tags.is_empty());
    // The first trigger that can be a code wins; every original stays searchable.
    let t = from_triggers(&["/发货", ":fahuo"]);
    assert_eq!(t.code.as_deref(), Some("fahuo"));
    assert_eq!(t.tags, vec!["/发货", ":fahuo"]);
    assert_eq!(t.note, None);
    // None can be a code: a note, the trigger kept as a tag.
    let t = from_triggers(&["/发货"]);
    assert_eq!((t.code, t.tags), (None, vec!["/发货".to_string()]));
    assert!(t.note.is_some_and(|n| n.contains("/发货")));
    assert_eq!(from_triggers::<&str>(&[]), Triggers::default());
    assert_eq!(from_triggers(&["  "]), Triggers::default());
}

#[test]
fn textexpander_csv_quotes_either_way_and_macros() {
    // RFC 4180 quotes, and TextExpander's backslash quotes (issue #18 item 7).
    let rfc = te_rows("a,\"say \"\"hi\"\"\",x\r\nb,\"C:\\\",y\n").expect("rfc");
    assert_eq!(rfc[0].1, vec!["a", "say \"hi\"", "x"]);
    assert_eq!(rfc[1].1, vec!["b", "C:\\", "y"]);
    assert_eq!(rfc[1].0, 2);
    let bs = te_rows(";q,\"say \\\"hi\\\" \\\\o/\nline 2\",Q\n;r,\"r\",R").expect("backslash");
    assert_eq!(bs[0].1, vec![";q", "say \"hi\" \\o/\nline 2", "Q"]);
    assert_eq!(bs[1].0, 3, "line numbers count lines inside quotes");
    assert!(te_rows("a,\"never closed\n").is_err());
    let (body, notes) = te_macros("{x} 100%% %| %clipboard %A, %1m月%e日 %H:%M 100%").expect("ok");
    assert_eq!(
        body,
        "{{x}} 100%  {剪贴板} {?日期 %A, %1m月%e日 %H:%M} 100%"
    );
    assert_eq!(notes.len(), 1);
    assert_eq!(
        te_macros("Hi %filltext:name=Name%").map(|(b, _)| b),
        Ok("Hi {?Name}".to_string())
    );
    assert!(te_macros("%fillpart:name=x%a%fillpartend%").is_err());
    assert!(te_macros("%snippet:;sig%").is_err());
}

#[test]
fn headerless_textexpander_csv_is_told_from_a_table_by_content() {
    use CsvKind::*;
    for (text, kind) in [
        // Sigils: TextExpander.
        (
            ";ty,Thank you for your order,Thanks\n;bye,See you,Bye\n",
            TextExpander,
        ),
        (";ty,Thank you\n/bye,See you\n", TextExpander),
        // Three columns, no sigils: the long one is the content.
        (
            "ty,Thank you for your order!,Thanks\nsig,Best regards from the shop,Signature\n",
            TextExpander,
        ),
        ("Ship,Ship time,We ship within two days of payment\n", Table),
        // Chinese first column, or a header: a table.
        ("物流,发货时间,48小时内发货\n", Table),
        ("title,content\nty,Thank you\n", Table),
        ("a b,c,d\n", Table),
        // Two columns of plain words: title,content or abbreviation,content?
        ("ty,Thank you for your order\n", Ambiguous),
    ] {
        assert_eq!(csv_kind(text), kind, "{text}");
    }
}

#[test]
fn raycast_export_keeps_date_formats() {
    let pack = Pack {
        snippets: vec![crate::source::PackSnippet {
            folder: String::new(),
            title: "发货".into(),
            code: Some("fh".into()),
            tags: vec![],
            apps: vec![],
            parts: vec![PackPart::Text {
                body: "{日期:%d.%m.%Y} 发货，单号 {剪贴板}".into(),
                origin: crate::source::Origin::Library { place: "x".into() },
            }],
            origin: crate::source::Origin::Library { place: "x".into() },
            starts_at: None,
            ends_at: None,
        }],
        ..Pack::default()
    };
    let (out, left) = write_raycast(&pack);
    assert!(left.is_empty());
    assert!(
        out.contains(r#"{date format=\"dd.MM.yyyy\"} 发货，单号 {clipboard}"#),
        "{out}"
    );
    let (back, _) = read_raycast(out.as_bytes(), Path::new("r.json")).expect("read");
    assert_eq!(bodies(&back)[0].2, "{日期:%d.%m.%Y} 发货，单号 {剪贴板}");
    let (yml, left) = write_espanso(&pack);
    assert!(left.is_empty());
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("e.yml");
    std::fs::write(&path, yml).expect("write");
    let (back, _) = read_espanso(&path).expect("read");
    assert_eq!(bodies(&back)[0].2, "{日期:%d.%m.%Y} 发货，单号 {剪贴板}");
}

#[test]
fn espanso_text_resolves_globals_escapes_and_cursor() {
    let dir = tempfile::tempdir().expect("tempdir");
    let yml = r#"
global_vars:
  - name: clipb
    type: clipboard
  - name: shop
    type: echo
    params:
      echo: "小满{家}"
  - name: later
    type: date
    params:
      format: "%m月%d日"
      offset: 86400
  - name: cmd
    type: shell
    params:
      cmd: "date"
matches:
  - trigger: ":dh"
    replace: "单号 {{ clipb }}，{{shop}}，明天 {{later}}$|$"
  - trigger: ":esc"
    replace: "写法是 \\{\\{clipb\\}\\}，$|$谢谢"
  - trigger: ":uses"
    replace: "{{cmd}}"
  - trigger: ":nodef"
    replace: "{{missing}} 和 {{form1.name}}"
"#;
    let path = dir.path().join("base.yml");
    std::fs::write(&path, yml).expect("write");
    let (pack, skipped) = read_espanso(&path).expect("read");
    assert_eq!(
        bodies(&pack).into_iter().map(|b| b.2).collect::<Vec<_>>(),
        vec![
            "单号 {剪贴板}，小满{{家}}，明天 {明天:%m月%d日}".to_string(),
            "写法是 {{{{clipb}}}}，谢谢".to_string(),
            "{{{{missing}}}} 和 {{{{form1.name}}}}".to_string(),
        ]
    );
    // The shell variable only skips the match that uses it; the cursor in the middle
    // and the undefined variables are noted.
    let reasons: Vec<&str> = skipped.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(skipped.len(), 4, "{reasons:?}");
    assert!(reasons.iter().any(|r| r.contains("shell")));
    assert!(reasons.iter().any(|r| r.contains("$|$")));
}

#[test]
fn alfred_old_key_no_plist_backslash_names_and_affixes() {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default();
    w.start_file("\\AA 在吗 [UID1].json", o).expect("start");
    w.write_all(r#"{"AlfredSnippet": {"snippet": "在的亲{cursor}", "uid": "UID1", "name": "", "keyword": "zai"}}"#.as_bytes())
        .expect("w");
    w.start_file("单号 [UID2].json", o).expect("start");
    w.write_all(r#"{"alfredsnippet": {"snippet": "单号 {clipboard}", "uid": "UID2", "name": "单号", "keyword": "dh"}}"#.as_bytes())
        .expect("w");
    let bytes = w.finish().expect("finish").into_inner();
    let (pack, skipped) = read_alfred(
        std::io::Cursor::new(bytes.clone()),
        Path::new("客服.alfredsnippets"),
    )
    .expect("read");
    assert!(skipped.is_empty(), "{skipped:?}");
    assert_eq!(
        bodies(&pack),
        vec![
            ("在的亲".into(), Some("zai".into()), "在的亲".into()),
            ("单号".into(), Some("dh".into()), "单号 {剪贴板}".into()),
        ]
    );
    assert!(pack.snippets.iter().all(|s| s.folder == "客服"));
    // With info.plist: the keyword as typed in Alfred is kept as a tag.
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file("info.plist", o).expect("start");
    w.write_all(b"<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>snippetkeywordprefix</key><string>;</string><key>snippetkeywordsuffix</key><string/></dict></plist>").expect("w");
    w.start_file("a.json", o).expect("start");
    w.write_all(
        r#"{"alfredsnippet": {"snippet": "好的", "name": "好的", "keyword": "hd"}}"#.as_bytes(),
    )
    .expect("w");
    let bytes = w.finish().expect("finish").into_inner();
    let (pack, _) =
        read_alfred(std::io::Cursor::new(bytes), Path::new("c.alfredsnippets")).expect("read");
    assert_eq!(pack.snippets[0].code.as_deref(), Some("hd"));
    assert_eq!(pack.snippets[0].tags, vec![";hd"]);
}

#[test]
fn alfred_archives_are_still_checked_for_bombs() {
    use std::io::Write;
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let o = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    w.start_file("\\bomb [UID].json", o).expect("start");
    w.write_all(&vec![b' '; 4 * 1024 * 1024]).expect("w");
    let bytes = w.finish().expect("finish").into_inner();
    let e = read_alfred(
        std::io::Cursor::new(bytes),
        Path::new("bomb.alfredsnippets"),
    )
    .err()
    .map(|e| e.to_string())
    .unwrap_or_default();
    assert!(e.contains("bomb.alfredsnippets"), "{e}");
}

#[test]
fn textexpander_settings_plist_groups_and_nesting_bombs() {
    let settings = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>groupsTE2</key><array>
  <dict><key>name</key><string>售后</string><key>snippetUUIDs</key><array><string>U1</string></array></dict>
</array>
<key>snippetsTE2</key><array>
  <dict><key>abbreviation</key><string>;th</string><key>label</key><string>退货</string>
  <key>plainText</key><string>退货请在订单页申请</string><key>uuidString</key><string>U1</string></dict>
  <dict><key>abbreviation</key><string>;x</string><key>plainText</key><string>没有分组</string>
  <key>uuidString</key><string>U2</string></dict>
</array></dict></plist>"#;
    assert!(is_plist(settings.as_bytes()));
    let (pack, skipped) =
        read_textexpander(settings.as_bytes(), Path::new("Settings.textexpander")).expect("read");
    assert!(skipped.is_empty(), "{skipped:?}");
    assert_eq!(pack.snippets[0].folder, "售后");
    assert_eq!(pack.snippets[0].code.as_deref(), Some("th"));
    assert_eq!(pack.snippets[1].folder, "");
    let bomb = format!(
        "<?xml version=\"1.0\"?><plist version=\"1.0\">{}{}</plist>",
        "<array>".repeat(100_000),
        "</array>".repeat(100_000)
    );
    let e = read_textexpander(bomb.as_bytes(), Path::new("bomb.textexpander"))
        .err()
        .map(|e| e.to_string());
    assert!(e.is_some_and(|e| e.contains("bomb.textexpander")));
    assert!(
        read_textexpander(
            b"<?xml version=\"1.0\"?><plist><string>x</string></plist>",
            Path::new("s.textexpander")
        )
        .is_err()
    );
}

/// espanso forms (layout per https://espanso.org/docs/forms/basics/ — the `form:`
/// shorthand with `[[field]]` and its `form_fields`, and a `type: form` variable whose
/// fields a `replace:` names as `{{form1.field}}`): each field becomes a blank the panel
/// asks for when the reply is fired; a field's choices become a free blank, noted.
#[test]
fn espanso_forms_become_blanks_asked_at_fire_time() {
    let dir = tempfile::tempdir().expect("tempdir");
    let yml = r#"
matches:
  - trigger: ":dh"
    form: |
      亲，您的订单号是 [[order]]，我们会在 [[days]] 天内处理～
    form_fields:
      days:
        type: choice
        values:
          - "1"
          - "3"
  - trigger: ":addr"
    replace: "亲，收货人 {{form1.name}}，地址 {{form1.addr}}，对吗？"
    vars:
      - name: form1
        type: form
        params:
          layout: "收货人 [[name]] 地址 [[addr]]"
  - trigger: ":bad"
    replace: "整个表单 {{f}}"
    vars:
      - name: f
        type: form
        params:
          layout: "[[x]]"
  - trigger: ":lit"
    form: "第 [[1]] 件，[[ ok ]] 也是字段，[[不是 字段]] 照原文"
"#;
    let path = dir.path().join("forms.yml");
    std::fs::write(&path, yml).expect("write");
    let (pack, skipped) = read_espanso(&path).expect("read");
    let texts: Vec<String> = bodies(&pack).into_iter().map(|b| b.2).collect();
    assert_eq!(
        texts,
        vec![
            "亲，您的订单号是 {?order}，我们会在 {?days} 天内处理～\n",
            "亲，收货人 {?name}，地址 {?addr}，对吗？",
            "第 {?1} 件，{?ok} 也是字段，[[不是 字段]] 照原文",
        ]
    );
    for t in &texts {
        crate::template::parse(t).expect("a valid template");
    }
    assert!(
        skipped
            .iter()
            .any(|s| s.reason.contains("days") && s.reason.contains("填空")),
        "{skipped:?}"
    );
    assert!(
        skipped
            .iter()
            .any(|s| s.reason.contains("表单变量 f 没有指明字段")),
        "{skipped:?}"
    );
}

/// Our blanks go out as the fields of an espanso form and come back as blanks.
#[test]
fn blanks_round_trip_through_an_espanso_form() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("forms.yml");
    std::fs::write(
        &path,
        "matches:\n  - trigger: \":dh\"\n    form: \"亲 [[买家]]，单号 [[order]]，[[买家]] 您看下～\"\n",
    )
    .expect("write");
    let (pack, _) = read_espanso(&path).expect("read");
    let (out, left) = write_espanso(&pack);
    assert!(left.is_empty(), "{left:?}");
    assert!(out.contains("type: form"), "{out}");
    std::fs::write(&path, out).expect("write");
    let (again, skipped) = read_espanso(&path).expect("read again");
    assert!(skipped.is_empty(), "{skipped:?}");
    assert_eq!(
        bodies(&again)[0].2,
        "亲 {?买家}，单号 {?order}，{?买家} 您看下～"
    );
}

/// TextExpander fill-ins (syntax as TextExpander's help, "Creating and Using Fill-in
/// Fields", writes them and public snippet collections use them:
/// `%filltext:name=Your name%`, `%filltext:name=Name:default=there%`, `%fillarea:…%`,
/// `%fillpopup:name=…:default=a:b:c%`) become blanks asked when the reply is fired, a
/// default or choices noted; an optional section (`%fillpart`) is still not convertible.
#[test]
fn textexpander_fill_ins_become_blanks() {
    let csv = concat!(
        ";hi,\"%filltext:name=买家昵称:default=亲:width=12%，您好！%filltext:name=买家昵称% 的订单已发出\",问候\n",
        ";sz,\"推荐 %fillpopup:name=尺码:default=M:S:L:XL% 码，备注：%fillarea:name=备注:width=40:height=3%\",尺码\n",
        ";opt,\"%fillpart:name=赠品:default=yes%送小样%fillpartend%\",可选\n",
        ";bad,\"%filltext:default=x%\",没名字\n",
    );
    let (pack, skipped) = read_textexpander(csv.as_bytes(), Path::new("te.csv")).expect("read");
    let texts: Vec<String> = bodies(&pack).into_iter().map(|b| b.2).collect();
    assert_eq!(
        texts,
        vec![
            "{?买家昵称}，您好！{?买家昵称} 的订单已发出",
            "推荐 {?尺码} 码，备注：{?备注}",
        ]
    );
    let reasons: Vec<&str> = skipped.iter().map(|s| s.reason.as_str()).collect();
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("买家昵称") && r.contains("默认值「亲」")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("M、S、L、XL")),
        "{reasons:?}"
    );
    assert_eq!(
        reasons.iter().filter(|r| r.contains("无法转换")).count(),
        2,
        "the optional section and the nameless field: {reasons:?}"
    );
}
