//! Fixtures shared by the desktop app's end-to-end tests (`tests/desktop_*.rs`): a
//! library filled with the built-in replies, the panel's window, the clipboard awaited.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result};
use quickreply_core::Store;
use quickreply_core::settings::{Settings, settings_path};

use crate::x11::Conn;
use crate::{Display, wait_for};

/// The facts of the test shop. The built-in pack has only examples for them (unset: a
/// reply using one asks first, see `desktop_first_run.rs`); a shop whose agents fire
/// replies has filled them in, so the tests' shop sets every one explicitly.
pub const SHOP_FACTS: &[(&str, &str)] = &[
    ("客服名", "小满"),
    ("发货时间", "48小时"),
    ("快递公司", "中通快递"),
    ("包邮门槛", "满99元"),
    ("活动名称", "店庆活动"),
    ("活动截止", "本月底"),
    ("优惠券", "满199减20元"),
    ("满减规则", "每满300减30元"),
    ("赠品", "精美小礼品一份"),
    ("工作时间", "每天9:00-23:00"),
    ("售后时效", "24小时"),
    ("会员福利", "会员下单享95折，生日当月再送优惠券"),
];

/// A library with the built-in Chinese replies and the test shop's facts
/// ([`SHOP_FACTS`]), and settings written before the start.
pub fn library(dir: &Path, settings: Settings) -> Result<Store> {
    let mut store = library_as_imported(dir, settings)?;
    let lib = store.library("personal")?;
    for (name, value) in SHOP_FACTS {
        store.set_var(&lib, name, value)?;
    }
    let left = store.unset_vars(lib.id)?;
    anyhow::ensure!(
        left.is_empty(),
        "the built-in pack has shop facts the test shop does not set: {left:?}"
    );
    Ok(store)
}

/// A library with the built-in Chinese replies just as imported: the shop's facts unset.
pub fn library_as_imported(dir: &Path, settings: Settings) -> Result<Store> {
    let mut store = Store::open(dir)?;
    let pack = quickreply_core::builtin::pack("zh-CN").context("no built-in pack")??;
    let lib = store.library("personal")?;
    quickreply_core::packs::import(
        &mut store,
        &pack,
        &lib,
        quickreply_core::packs::Policy::KeepBoth,
    )?;
    settings.save(&settings_path(dir))?;
    Ok(store)
}

/// The panel's window on the display, once the app has mapped it.
pub fn panel_window(x: &Conn) -> Result<u32> {
    wait_for("the panel window", Duration::from_secs(20), || {
        x.find_titled("QuickReply")
    })
}

/// Wait until the clipboard holds the text `want`; the error says what it held.
pub fn wait_clipboard(d: &Display, want: &str) -> Result<()> {
    let mut last = None;
    wait_for(
        "the reply on the clipboard",
        Duration::from_secs(10),
        || {
            last = d.clipboard_text();
            (last.as_deref() == Some(want)).then_some(())
        },
    )
    .with_context(|| format!("clipboard holds {last:?}, want {want:?}"))
}
