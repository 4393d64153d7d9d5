//! Crash safety: `kill -9` of `qreply import` in the middle of a bulk insert leaves a store
//! that opens, passes SQLite's integrity check, and holds either all of the import or
//! none of it.
#![allow(clippy::expect_used, clippy::panic)] // a test or bench fails by panicking

mod common;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use common::Qr;

const REPLIES: usize = 20_000;

fn write_pack(root: &std::path::Path) {
    std::fs::create_dir_all(root).expect("mkdir");
    std::fs::write(root.join("pack.toml"), "name = \"bulk\"\n").expect("toml");
    for f in 0..20 {
        let mut text = String::new();
        for i in 0..REPLIES / 20 {
            let _ = write!(
                text,
                "## 话术{f}-{i}\ntags: 标签{i}\n\n亲，这是第{f}组第{i}条回复，订单{i}号已经安排发货啦～\n\n"
            );
        }
        std::fs::write(root.join(format!("{f:02}-分组{f}.md")), text).expect("md");
    }
}

fn count(q: &Qr) -> usize {
    q.ok(["ls"]).lines().count()
}

#[test]
fn kill_9_during_bulk_import_leaves_all_or_nothing() {
    let q = Qr::new();
    let pack = q.dir.path().join("pack");
    write_pack(&pack);
    let pack = pack.to_str().expect("utf8").to_string();

    // How long does a whole import take here? Kill at fractions of that.
    let scratch = Qr::new();
    let t = Instant::now();
    scratch.ok(["import", pack.as_str()]);
    let full = t.elapsed();
    assert_eq!(count(&scratch), REPLIES);

    let wal = q.data().join("quickreply.db-wal");
    let wal_size = || std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    let mut seen_mid_transaction = false;
    // Round 0 kills as soon as the import's transaction has spilled pages into the WAL
    // (so the kill is surely inside it); the others at fractions of a whole import.
    for (round, frac) in [None, Some(0.3), Some(0.6), Some(0.9)]
        .into_iter()
        .enumerate()
    {
        q.ok([
            "add",
            "--title",
            &format!("已确认{round}"),
            "--text",
            "acknowledged write",
        ]);
        let before = count(&q);
        let base = wal_size();
        let mut child = q
            .cmd(["import", pack.as_str()])
            .spawn()
            .expect("spawn import");
        let mut spilled = false;
        match frac {
            Some(frac) => std::thread::sleep(full.mul_f64(frac)),
            None => {
                let t = Instant::now();
                while t.elapsed() < full * 3 && !spilled {
                    spilled = wal_size() > base + 256 * 1024;
                    std::thread::sleep(Duration::from_millis(2));
                }
            }
        }
        let _ = child.kill(); // SIGKILL
        let _ = child.wait();
        // The store opens, is consistent, and the import is all or nothing.
        let after = count(&q);
        assert!(
            after == before || after == before + REPLIES,
            "round {round}: {before} before, {after} after a kill at {frac:?} of {full:?}"
        );
        // lint runs SQLite's integrity check and the foreign-key check.
        let r = q.run(["lint"]);
        assert_eq!(r.code, 0, "{}", r.stdout);
        assert!(
            r.stdout.contains(&format!("{after} replies, 0 problems")),
            "{}",
            r.stdout
        );
        assert!(
            q.ok(["search", &format!("已确认{round}")])
                .contains("已确认")
        );
        if after == before {
            seen_mid_transaction |= spilled;
        } else {
            // Already imported: a second import is a no-op; clean up for the next round.
            q.ok(["rm", "--folder", "分组0", "--recursive"]);
            for f in 1..20 {
                q.ok(["rm", "--folder", &format!("分组{f}"), "--recursive"]);
            }
        }
    }
    assert!(
        seen_mid_transaction,
        "no kill landed inside the import transaction ({full:?} per import)"
    );
}
