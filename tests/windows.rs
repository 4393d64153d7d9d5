//! The Windows build of `qreply` as a Windows user meets it, under Wine in a Chinese
//! locale (code page 936), driven and checked from the Linux side: a GBK CSV exported by
//! Excel from a folder with a Chinese name, pinyin and initials search, and text and image
//! replies fired to the clipboard and read back on the X side with `xclip`, the image
//! decoded and compared pixel by pixel.
//!
//! Ignored by plain `cargo test`: `cargo xtask test --leg 7` prepares Wine and runs them
//! (see `support/wine.rs`).

use anyhow::{Context, Result, bail};
use quickreply_e2e::wait_for;
use quickreply_e2e::wine::{Wine, windows_path};
use std::time::Duration;

/// A CSV as Excel on a Chinese Windows saves it ("CSV (逗号分隔)"): GBK, CRLF, a quoted
/// cell with line breaks and a comma.
const CSV: &str = "分组,标题,快捷编码,内容\r\n\
物流,发货时间,fh,亲，现货付款后48小时内发出～\r\n\
售后,退货流程,thlc,\"亲，7天无理由退货：\r\n1. 订单页点申请退货\r\n2. 寄回后把单号告诉我，收到就退款\"\r\n\
售前,尺码推荐,cm,\"亲，告诉我身高、体重，帮您挑尺码哦\"\r\n";

/// The clipboard's image bytes (`kind`) decode to exactly `want`'s size and colours.
fn same_picture(kind: &str, bytes: &[u8], want: &image::RgbaImage) -> Result<()> {
    let got = image::load_from_memory(bytes)
        .with_context(|| format!("the clipboard's {kind} does not decode"))?
        .into_rgba8();
    if got.dimensions() != want.dimensions() {
        bail!(
            "{kind} is {:?}, not {:?}",
            got.dimensions(),
            want.dimensions()
        );
    }
    for (x, y, px) in want.enumerate_pixels() {
        let g = got.get_pixel(x, y);
        if g.0[..3] != px.0[..3] {
            bail!("{kind} pixel ({x}, {y}) is {:?}, not {:?}", g.0, px.0);
        }
    }
    Ok(())
}

#[test]
#[ignore = "needs Wine: cargo xtask test --leg 7"]
fn qreply_exe_imports_gbk_from_a_chinese_folder_searches_and_fires_text_and_image() -> Result<()> {
    let wine = Wine::from_env()?;
    let qreply = wine.exe("qreply.exe")?;
    let tmp = tempfile::tempdir()?;
    let folder = tmp.path().join("店铺资料");
    std::fs::create_dir_all(&folder)?;
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(CSV);
    assert!(!unmappable, "the fixture is all GBK");
    let csv = folder.join("客服话术.csv");
    std::fs::write(&csv, &gbk)?;
    let data = windows_path(&tmp.path().join("数据"));
    let q = |args: &[&str]| -> Result<String> {
        let mut all = vec!["--data-dir", data.as_str()];
        all.extend_from_slice(args);
        wine.ok(&qreply, &all)
    };

    let out = q(&["import", &windows_path(&csv), "--into", "personal"])?;
    assert!(out.contains('3'), "three replies imported: {out}");
    let listed = q(&["ls"])?;
    for title in ["发货时间", "退货流程", "尺码推荐"] {
        assert!(listed.contains(title), "{title} in {listed}");
    }
    // The multi-line cell arrives whole, with its line breaks.
    let body = q(&["fire", "thlc"])?;
    assert!(
        body.contains("1. 订单页点申请退货") && body.contains("收到就退款"),
        "{body}"
    );

    let first = |query: &str| -> Result<String> {
        let out = q(&["search", query])?;
        Ok(out
            .lines()
            .next()
            .and_then(|l| l.split('\t').next())
            .unwrap_or_default()
            .to_string())
    };
    assert_eq!(first("tuihuo")?, "退货流程", "full pinyin");
    assert_eq!(first("chima")?, "尺码推荐", "full pinyin");
    assert_eq!(first("fhsj")?, "发货时间", "initials");
    assert_eq!(first("退货")?, "退货流程", "Chinese");

    // Text to the clipboard; the program exits and explorer's clipboard keeps it.
    q(&["fire", "fh", "--clipboard"])?;
    let text = wine.clipboard_text_with("现货")?;
    assert_eq!(text, "亲，现货付款后48小时内发出～");

    // An image reply: a picture with a pattern, so that a flipped or shifted copy fails.
    let (w, h) = (48u32, 30u32);
    let img = image::RgbaImage::from_fn(w, h, |x, y| {
        image::Rgba([(x * 5) as u8, (y * 8) as u8, ((x + y) * 3) as u8, 255])
    });
    let png = folder.join("尺码图.png");
    img.save(&png)?;
    q(&[
        "add",
        "--title",
        "尺码图",
        "--code",
        "cmt",
        "--image",
        &windows_path(&png),
    ])?;
    q(&["fire", "cmt", "--clipboard"])?;
    let targets = wait_for(
        "an image on the X clipboard",
        Duration::from_secs(10),
        || {
            wine.clipboard_targets()
                .ok()
                .filter(|t| t.iter().any(|t| t.starts_with("image/")))
        },
    )?;
    let kinds: Vec<&str> = ["image/png", "image/bmp"]
        .into_iter()
        .filter(|k| targets.iter().any(|t| t == k))
        .collect();
    if kinds.is_empty() {
        bail!("no PNG or BMP among {targets:?}");
    }
    // Every form the clipboard offers is the same picture.
    for kind in &kinds {
        same_picture(kind, &wine.clipboard(kind)?, &img)?;
    }
    eprintln!("clipboard offered {targets:?}; compared {kinds:?}");
    Ok(())
}

/// The ids of `qreply ls --json` by title.
fn ids(json: &str) -> Result<std::collections::HashMap<String, String>> {
    let v: serde_json::Value = serde_json::from_str(json)?;
    Ok(v.as_array()
        .context("an array")?
        .iter()
        .filter_map(|r| Some((r["title"].as_str()?.into(), r["id"].as_str()?.into())))
        .collect())
}

/// A process whose standard output lines arrive on a channel; killed on drop.
struct Lines {
    child: std::process::Child,
    rx: std::sync::mpsc::Receiver<String>,
}

impl Lines {
    fn spawn(mut cmd: std::process::Command) -> Result<Lines> {
        use std::io::BufRead;
        let mut child = cmd
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit())
            .spawn()?;
        let out = child.stdout.take().context("stdout")?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        Ok(Lines { child, rx })
    }

    /// The next line, within `secs` seconds.
    fn next(&self, what: &str, secs: u64) -> Result<String> {
        self.rx
            .recv_timeout(Duration::from_secs(secs))
            .with_context(|| format!("no line from the harness for {what} within {secs} s"))
    }
}

impl Drop for Lines {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The desktop app's Windows hot path without the webview (`fire_harness`, built from
/// `win_hotkeys` and the app's clipboard code): the panel hotkey and two favourites'
/// hotkeys registered with RegisterHotKey, pressed as real keys on the X side with
/// xdotool, reach the program through Wine; the favourites put a text and an image
/// reply on the clipboard, read back with xclip.
#[test]
#[ignore = "needs Wine: cargo xtask test --leg 7"]
fn hotkeys_pressed_on_the_keyboard_fire_favourites_through_the_apps_own_code() -> Result<()> {
    use quickreply_core::settings::{Favourite, Settings, settings_path};

    let wine = Wine::from_env()?;
    let qreply = wine.exe("qreply.exe")?;
    let harness = wine.exe("examples/fire_harness.exe")?;
    let tmp = tempfile::tempdir()?;
    let data = tmp.path().join("数据");
    let q = |args: &[&str]| -> Result<String> {
        let dir = windows_path(&data);
        let mut all = vec!["--data-dir", dir.as_str()];
        all.extend_from_slice(args);
        wine.ok(&qreply, &all)
    };
    q(&["vars", "set", "店铺名", "小满家居"])?;
    q(&[
        "add",
        "--title",
        "发货时间",
        "--text",
        "亲，{店铺名}现货48小时内发出～",
    ])?;
    let (w, h) = (40u32, 24u32);
    let img = image::RgbaImage::from_fn(w, h, |x, y| {
        image::Rgba([(x * 6) as u8, 200 - (y * 5) as u8, 90, 255])
    });
    let png = tmp.path().join("图.png");
    img.save(&png)?;
    q(&["add", "--title", "尺码图", "--image", &windows_path(&png)])?;
    let ids = ids(&q(&["ls", "--json"])?)?;
    let id = |t: &str| -> Result<uuid::Uuid> {
        Ok(uuid::Uuid::parse_str(
            ids.get(t).with_context(|| format!("{t} listed"))?,
        )?)
    };
    Settings {
        favourites: vec![
            Favourite {
                hotkey: "Ctrl+Alt+1".into(),
                snippet: id("发货时间")?,
            },
            Favourite {
                hotkey: "Ctrl+Alt+2".into(),
                snippet: id("尺码图")?,
            },
        ],
        ..Settings::default()
    }
    .save(&settings_path(&data))?;

    let mut cmd = wine.command(&harness);
    cmd.arg(windows_path(&data));
    let run = Lines::spawn(cmd)?;
    assert_eq!(run.next("ready", 60)?, "ready");
    let key = |keys: &str| wine.x("xdotool", &["key", "--clearmodifiers", keys]);

    key("ctrl+alt+space")?;
    assert_eq!(run.next("the panel hotkey", 10)?, "panel");

    key("ctrl+alt+1")?;
    assert_eq!(run.next("the text favourite", 10)?, "fired 发货时间");
    let text = wine.clipboard_text_with("小满家居")?;
    assert_eq!(text, "亲，小满家居现货48小时内发出～");

    key("ctrl+alt+2")?;
    assert_eq!(run.next("the image favourite", 10)?, "fired 尺码图");
    let bytes = wait_for(
        "an image on the X clipboard",
        Duration::from_secs(10),
        || wine.clipboard("image/png").ok().filter(|b| !b.is_empty()),
    )?;
    same_picture("image/png", &bytes, &img)
}
