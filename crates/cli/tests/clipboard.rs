//! `qreply fire --clipboard` under a private Xvfb: text and image parts land on the X11
//! clipboard as a chat app would read them (checked with xclip). Built for Windows (the
//! Wine leg), the same test reads the Windows clipboard back after `qreply.exe` exited.

mod common;

use common::{Qr, Xvfb, png};

#[test]
fn fire_puts_text_and_images_on_the_clipboard() {
    let x = Xvfb::start();
    let mut q = Qr::new();
    q.display = Some(x.display.clone());
    let img = q.dir.path().join("card.png");
    png(&img, 64, 48, [250, 10, 20, 255]);
    q.ok(["vars", "set", "店铺名", "小满家居"]);
    q.ok([
        "add",
        "--title",
        "尺码表",
        "--code",
        "cmb",
        "--text",
        "{店铺名}尺码表请看：",
        "--image",
        img.to_str().expect("utf8"),
        "--text",
        "还有问题随时找我～",
    ]);

    let r = q.run(["fire", "cmb", "--clipboard"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("part 1/3"), "{}", r.stderr);
    assert_eq!(
        String::from_utf8_lossy(&x.clipboard(None)),
        "小满家居尺码表请看："
    );

    q.ok(["fire", "cmb", "--clipboard", "--part", "2"]);
    let bytes = x.clipboard(Some("image/png"));
    let got = image::load_from_memory(&bytes)
        .expect("clipboard holds a PNG")
        .into_rgba8();
    assert_eq!(got.dimensions(), (64, 48));
    assert_eq!(got.get_pixel(10, 10).0, [250, 10, 20, 255]);

    q.ok(["fire", "cmb", "--clipboard", "--part", "3"]);
    assert_eq!(
        String::from_utf8_lossy(&x.clipboard(None)),
        "还有问题随时找我～"
    );
    let r = q.run(["fire", "cmb", "--clipboard", "--part", "4"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("no part 4"), "{}", r.stderr);

    // {剪贴板} reads what is on the clipboard now.
    q.ok(["add", "--title", "查单号", "--text", "您的单号是{剪贴板}"]);
    q.ok(["fire", "查单号", "--clipboard"]);
    assert_eq!(
        String::from_utf8_lossy(&x.clipboard(None)),
        "您的单号是还有问题随时找我～"
    );
}

/// Windows always has a clipboard; X11 may have no display.
#[cfg(not(windows))]
#[test]
fn clipboard_without_a_display_is_a_clear_error() {
    let q = Qr::new();
    q.ok(["add", "--title", "a", "--text", "b"]);
    let r = q.run(["fire", "a", "--clipboard"]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("clipboard"), "{}", r.stderr);
}
