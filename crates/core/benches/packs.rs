//! Packs at scale: CSV, XLSX and `.qrpack` (2 % of the replies with an image) at 1k, 10k
//! and 100k replies. For each format and size it measures export (the library read as a
//! pack and written, as `qreply export` does), read + preview into
//! an empty library, read + import into a fresh store, and re-import of the same file
//! (every reply unchanged), and prints milliseconds and rows/s. The last table compares
//! rows/s at the largest size with rows/s at 10k: the target is every operation within
//! 20 % (linear), and 100k CSV import ≤ 3 s.
//!
//! Run with `cargo xtask bench packs` (or `cargo bench -p quickreply-core --bench packs`).
//! `QR_BENCH_SIZES=1000,10000` picks other sizes, `QR_BENCH_FORMATS=csv,xlsx` other formats. Sizes below 100k take the median of 3
//! runs; 100k and above run once (each run takes seconds). `QR_BENCH_RUNS=3` takes the
//! median of that many runs at every size.
#![allow(clippy::expect_used, clippy::panic)] // a test or bench fails by panicking

use std::io::Cursor;
use std::path::Path;
use std::time::{Duration, Instant};

use quickreply_core::corpus::replies;
use quickreply_core::packs::{self, Policy, qrpack, table};
use quickreply_core::source::Pack;
use quickreply_core::store::PERSONAL;
use quickreply_core::{NewSnippet, Store};

fn png(i: u32) -> Vec<u8> {
    let img = image::RgbaImage::from_fn(64, 48, |x, y| {
        image::Rgba([(x * 4) as u8, (y * 5) as u8, (i % 256) as u8, 255])
    });
    let mut out = Vec::new();
    image::DynamicImage::ImageRgba8(img)
        .write_to(&mut Cursor::new(&mut out), image::ImageFormat::Png)
        .expect("png");
    out
}

/// Wall-clock and on-CPU time of one operation. On a loaded machine (CI, other builds)
/// the wall clock says more about the neighbours than about us; the thread's CPU time
/// (Linux: `/proc/thread-self/schedstat`) does not, so linearity is judged on it.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Took {
    wall: Duration,
    cpu: Option<Duration>,
}

fn cpu_now() -> Option<Duration> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = s.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_nanos(ns))
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Took) {
    let (c, t) = (cpu_now(), Instant::now());
    let v = f();
    let wall = t.elapsed();
    let cpu = c.zip(cpu_now()).map(|(a, b)| b.saturating_sub(a));
    (v, Took { wall, cpu })
}

fn median(runs: usize, mut f: impl FnMut() -> Took) -> Took {
    let mut v: Vec<Took> = (0..runs).map(|_| f()).collect();
    v.sort();
    v[v.len() / 2]
}

#[derive(Clone, Copy, PartialEq)]
enum Fmt {
    Csv,
    Xlsx,
    Qrpack,
}

impl Fmt {
    fn name(self) -> &'static str {
        match self {
            Fmt::Csv => "CSV",
            Fmt::Xlsx => "XLSX",
            Fmt::Qrpack => ".qrpack",
        }
    }

    fn write(self, pack: &Pack, store: &Store) -> Vec<u8> {
        match self {
            Fmt::Csv => {
                let mut out = Vec::new();
                table::write_csv(pack, &mut out).expect("csv");
                out
            }
            Fmt::Xlsx => table::write_xlsx(pack).expect("xlsx").0,
            Fmt::Qrpack => {
                let mut out = Cursor::new(Vec::new());
                qrpack::write(
                    pack,
                    &mut out,
                    "2026-11-23T00:00:00Z",
                    &qrpack::image_reader(Some(store.blobs())),
                )
                .expect("qrpack");
                out.into_inner()
            }
        }
    }

    fn read(self, bytes: &[u8]) -> Pack {
        match self {
            Fmt::Csv => {
                table::read_csv(bytes, Path::new("x.csv"))
                    .expect("read csv")
                    .0
            }
            Fmt::Xlsx => {
                table::read_xlsx(bytes, Path::new("x.xlsx"))
                    .expect("read xlsx")
                    .0
            }
            Fmt::Qrpack => {
                qrpack::read(Cursor::new(bytes), Path::new("x.qrpack"))
                    .expect("read qrpack")
                    .1
            }
        }
    }
}

const OPS: [&str; 4] = ["export", "preview", "import", "re-import"];

/// One format at one size: milliseconds per operation, in `OPS` order.
fn measure(fmt: Fmt, n: usize, source: &Store) -> [Took; 4] {
    let runs = std::env::var("QR_BENCH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .filter(|&r| r > 0)
        .unwrap_or(if n >= 100_000 { 1 } else { 3 });
    let mut bytes = Vec::new();
    let export = median(runs, || {
        let (b, d) = timed(|| {
            let lib = source.library(PERSONAL).expect("personal");
            let pack = packs::from_library(source, &lib).expect("pack");
            fmt.write(&pack, source)
        });
        bytes = b;
        d
    });
    let fresh = || {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path()).expect("open");
        (dir, store)
    };
    let preview = median(runs, || {
        let (_dir, store) = fresh();
        let lib = store.library(PERSONAL).expect("personal");
        let (plan, d) = timed(|| {
            let p = fmt.read(&bytes);
            packs::preview(&store, &p, &lib, Policy::KeepBoth).expect("preview")
        });
        assert_eq!(plan.len(), n, "{} preview of {n}", fmt.name());
        d
    });
    // Import into a fresh store; the last run's store is kept for the re-import.
    let mut kept = None;
    let import = median(runs, || {
        let (dir, mut store) = fresh();
        let lib = store.library(PERSONAL).expect("personal");
        let (report, d) = timed(|| {
            let p = fmt.read(&bytes);
            packs::import(&mut store, &p, &lib, Policy::KeepBoth).expect("import")
        });
        assert_eq!(report.added, n, "{} import of {n}", fmt.name());
        kept = Some((dir, store));
        d
    });
    let (_dir, mut store) = kept.expect("one import ran");
    let lib = store.library(PERSONAL).expect("personal");
    let reimport = median(runs, || {
        let (report, d) = timed(|| {
            let p = fmt.read(&bytes);
            packs::import(&mut store, &p, &lib, Policy::KeepBoth).expect("re-import")
        });
        assert_eq!(report.unchanged, n, "{} re-import of {n}", fmt.name());
        d
    });
    [export, preview, import, reimport]
}

fn sizes() -> Vec<usize> {
    std::env::var("QR_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .filter(|v: &Vec<usize>| !v.is_empty())
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000])
}

/// CPU time where the platform tells it, else the wall clock.
fn cpu_of(t: &Took) -> Duration {
    t.cpu.unwrap_or(t.wall)
}

fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

fn main() {
    let sizes = sizes();
    let only = std::env::var("QR_BENCH_FORMATS")
        .unwrap_or_default()
        .to_lowercase();
    let fmts: Vec<Fmt> = [Fmt::Csv, Fmt::Xlsx, Fmt::Qrpack]
        .into_iter()
        .filter(|f| {
            only.is_empty()
                || only.contains(f.name().trim_start_matches('.').to_lowercase().as_str())
        })
        .collect();
    // results[size][format] = durations per op
    let mut results: Vec<(usize, Vec<[Took; 4]>)> = Vec::new();
    for &n in &sizes {
        // A library of n replies, 2 % of them with an image part.
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(&dir.path().join("src")).expect("open");
        let lib = store.library(PERSONAL).expect("personal");
        let mut news: Vec<NewSnippet> = replies(n, 5);
        for (i, s) in news.iter_mut().take(n / 50).enumerate() {
            let path = dir.path().join(format!("{i}.png"));
            std::fs::write(&path, png(i as u32)).expect("write png");
            s.parts.push(store.add_image(&path).expect("image"));
        }
        store.add_snippets(&lib, news).expect("add");
        println!(
            "\n{n} replies ({} with an image); {}",
            n / 50,
            match std::env::var("QR_BENCH_RUNS")
                .ok()
                .and_then(|r| r.parse::<usize>().ok())
            {
                Some(r) if r > 0 => format!("median of {r} runs"),
                _ if n >= 100_000 => "one run".to_string(),
                _ => "median of 3 runs".to_string(),
            }
        );
        println!(
            "{:<9} {:>10} {:>10} {:>10} {:>10}   rows/s: {:>9} {:>9} {:>9} {:>9}",
            "format", OPS[0], OPS[1], OPS[2], OPS[3], OPS[0], OPS[1], OPS[2], OPS[3]
        );
        let mut row = Vec::new();
        for &fmt in &fmts {
            let d = measure(fmt, n, &store);
            let line = |label: &str, time: &dyn Fn(&Took) -> Duration| {
                let ms: Vec<String> = d
                    .iter()
                    .map(|d| format!("{:>8.0}ms", time(d).as_secs_f64() * 1e3))
                    .collect();
                let rs: Vec<String> = d
                    .iter()
                    .map(|d| format!("{:>9.0}", rate(n, time(d))))
                    .collect();
                println!("{label:<9} {}   rows/s: {}", ms.join(" "), rs.join(" "));
            };
            line(fmt.name(), &|t| t.wall);
            if d.iter().all(|t| t.cpu.is_some()) {
                line("  on CPU", &cpu_of);
            }
            row.push(d);
        }
        results.push((n, row));
    }
    // Linearity: rows/s at the largest size against rows/s at 10k.
    let base = results.iter().find(|(n, _)| *n == 10_000);
    let last = results.last().filter(|(n, _)| *n > 10_000);
    if let (Some((bn, b)), Some((ln, l))) = (base, last) {
        println!(
            "\nrows/s at {ln} as a share of rows/s at {bn}, on CPU time where known (target ≥ 80 %)"
        );
        for (i, fmt) in fmts.iter().enumerate() {
            let shares: Vec<String> = (0..4)
                .map(|op| {
                    let share = rate(*ln, cpu_of(&l[i][op])) / rate(*bn, cpu_of(&b[i][op])) * 100.0;
                    format!("{} {share:.0} %", OPS[op])
                })
                .collect();
            println!("{:<9} {}", fmt.name(), shares.join(", "));
        }
        if fmts.first() == Some(&Fmt::Csv) {
            let csv_import = l[0][2];
            println!(
                "CSV import of {ln}: {:.2} s wall, {:.2} s on CPU (target ≤ 3 s)",
                csv_import.wall.as_secs_f64(),
                cpu_of(&csv_import).as_secs_f64()
            );
        }
    }
}
