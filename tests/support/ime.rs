//! A real Chinese input method for the end-to-end tests: fcitx5 with its pinyin engine
//! (Debian packages fcitx5, fcitx5-chinese-addons, fcitx5-frontend-gtk3) on the test's
//! display and session bus, active from the first key, so that keys typed with xdotool
//! go through it into the app (GTK_IM_MODULE=fcitx) as they do for an agent typing pinyin.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::{Display, SessionBus, wait_for};

/// fcitx5 running with pinyin on, gone when dropped.
pub struct Fcitx {
    child: Child,
    /// The environment an app needs to use it.
    pub env: Vec<(&'static str, OsString)>,
}

impl Drop for Fcitx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Fcitx {
    /// Start fcitx5 on `display` and `bus`, its configuration in `home` (keyboard and
    /// pinyin, pinyin active by default).
    pub fn start(display: &Display, bus: &SessionBus, home: &Path) -> Result<Fcitx> {
        let config = home.join(".config").join("fcitx5");
        std::fs::create_dir_all(config.join("conf"))?;
        std::fs::write(
            config.join("profile"),
            "[Groups/0]\nName=Default\nDefault Layout=us\nDefaultIM=pinyin\n\n\
             [Groups/0/Items/0]\nName=keyboard-us\nLayout=\n\n\
             [Groups/0/Items/1]\nName=pinyin\nLayout=\n\n\
             [GroupOrder]\n0=Default\n",
        )?;
        std::fs::write(
            config.join("config"),
            "[Behavior]\nActiveByDefault=True\nShareInputState=All\n",
        )?;
        let child = Command::new("fcitx5")
            .args([
                "--disable",
                "cloudpinyin,notificationitem,classicui,kimpanel,xim",
            ])
            .env("DISPLAY", &display.name)
            .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join(".config"))
            .env("XDG_DATA_HOME", home.join(".local/share"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start fcitx5 (Debian packages fcitx5 fcitx5-chinese-addons)")?;
        let fcitx = Fcitx {
            child,
            env: vec![
                ("GTK_IM_MODULE", "fcitx".into()),
                ("XMODIFIERS", "@im=fcitx".into()),
                ("DBUS_SESSION_BUS_ADDRESS", bus.address.clone().into()),
            ],
        };
        // Up once it owns its name on the bus.
        wait_for("fcitx5 on the bus", Duration::from_secs(20), || {
            let out = Command::new("dbus-send")
                .args([
                    "--session",
                    "--print-reply",
                    "--dest=org.freedesktop.DBus",
                    "/org/freedesktop/DBus",
                    "org.freedesktop.DBus.NameHasOwner",
                    "string:org.fcitx.Fcitx5",
                ])
                .env("DBUS_SESSION_BUS_ADDRESS", &bus.address)
                .output()
                .ok()?;
            String::from_utf8_lossy(&out.stdout)
                .contains("boolean true")
                .then_some(())
        })?;
        Ok(fcitx)
    }
}
