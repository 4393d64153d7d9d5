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
    assert_eq!(first("chicun")?, "尺码推荐", "full pinyin");
    assert_eq!(first("fhsj")?, "发货时间", "initials");
    assert_eq!(first("退货")?, "退货流程", "Chinese");

    // Text to the clipboard; the program exits and explorer's clipboard keeps it.
    q(&["fire", "fh", "--clipboard"])?;
    let text = wait_for(
        "the text on the X clipboard",
        Duration::from_secs(10),
        || {
            wine.clipboard("UTF8_STRING")
                .ok()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .filter(|t| t.contains("发货"))
        },
    )?;
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
    let kind = ["image/png", "image/bmp"]
        .into_iter()
        .find(|k| targets.iter().any(|t| t == k))
        .with_context(|| format!("no PNG or BMP among {targets:?}"))?;
    let bytes = wine.clipboard(kind)?;
    let got = image::load_from_memory(&bytes)
        .with_context(|| format!("the clipboard's {kind} does not decode"))?
        .into_rgba8();
    assert_eq!(got.dimensions(), (w, h), "{kind}");
    for (x, y, want) in img.enumerate_pixels() {
        let px = got.get_pixel(x, y);
        if px.0[..3] != want.0[..3] {
            bail!("{kind} pixel ({x}, {y}) is {:?}, not {:?}", px.0, want.0);
        }
    }
    eprintln!("clipboard offered {targets:?}; compared {kind}");
    Ok(())
}
