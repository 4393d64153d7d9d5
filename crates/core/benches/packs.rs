//! Import and export of a 10k-reply library as CSV, XLSX and `.qrpack` (with 200
//! images): median of 3 runs each, printed as a table. Target: ≤ 1 s each.
//! Run with `cargo xtask bench packs` (or `cargo bench -p quickreply-core --bench packs`).
#![allow(clippy::expect_used, clippy::panic)] // a test or bench fails by panicking

use std::io::Cursor;
use std::path::Path;
use std::time::{Duration, Instant};

use quickreply_core::corpus::replies;
use quickreply_core::packs::{self, qrpack, table};
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

fn median(mut f: impl FnMut() -> Duration) -> Duration {
    let mut v: Vec<Duration> = (0..3).map(|_| f()).collect();
    v.sort();
    v[1]
}

fn fresh_import(pack: &quickreply_core::source::Pack) -> Duration {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(dir.path()).expect("open");
    let lib = store.library(PERSONAL).expect("personal");
    let t = Instant::now();
    packs::import(&mut store, pack, &lib, packs::Policy::Overwrite).expect("import");
    t.elapsed()
}

fn main() {
    // A 10k-reply library, 200 of them with an image part.
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(&dir.path().join("src")).expect("open");
    let lib = store.library(PERSONAL).expect("personal");
    let mut news: Vec<NewSnippet> = replies(10_000, 5);
    for (i, n) in news.iter_mut().take(200).enumerate() {
        let path = dir.path().join(format!("{i}.png"));
        std::fs::write(&path, png(i as u32)).expect("write png");
        n.parts.push(store.add_image(&path).expect("image"));
    }
    store.add_snippets(&lib, news).expect("add");
    let pack = packs::from_library(&store, &lib).expect("pack");
    let images = pack
        .snippets
        .iter()
        .flat_map(|s| &s.parts)
        .filter(|p| matches!(p, quickreply_core::source::PackPart::Image { .. }))
        .count();
    let blobs = store.blobs();

    let mut rows = Vec::new();
    // CSV
    let mut csv = Vec::new();
    let export = median(|| {
        csv.clear();
        let t = Instant::now();
        table::write_csv(&pack, &mut csv).expect("csv");
        t.elapsed()
    });
    let (csv_pack, _) = table::read_csv(&csv, Path::new("x.csv")).expect("read csv");
    let import = median(|| {
        let t = Instant::now();
        let (p, _) = table::read_csv(&csv, Path::new("x.csv")).expect("read csv");
        t.elapsed() + fresh_import(&p)
    });
    rows.push(("CSV", csv.len(), export, import, csv_pack.snippets.len()));
    // XLSX
    let mut xlsx = Vec::new();
    let export = median(|| {
        let t = Instant::now();
        xlsx = table::write_xlsx(&pack).expect("xlsx").0;
        t.elapsed()
    });
    let import = median(|| {
        let t = Instant::now();
        let (p, _) = table::read_xlsx(&xlsx, Path::new("x.xlsx")).expect("read xlsx");
        t.elapsed() + fresh_import(&p)
    });
    rows.push(("XLSX", xlsx.len(), export, import, 10_000));
    // .qrpack with images
    let mut zip = Vec::new();
    let export = median(|| {
        let mut out = Cursor::new(Vec::new());
        let t = Instant::now();
        qrpack::write(
            &pack,
            &mut out,
            "2026-11-23T00:00:00Z",
            &qrpack::image_reader(Some(blobs)),
        )
        .expect("qrpack");
        let d = t.elapsed();
        zip = out.into_inner();
        d
    });
    let import = median(|| {
        let t = Instant::now();
        let (_, p) = qrpack::read(Cursor::new(&zip), Path::new("x.qrpack")).expect("read qrpack");
        t.elapsed() + fresh_import(&p)
    });
    rows.push((".qrpack", zip.len(), export, import, 10_000));

    println!(
        "\n10,000 replies ({images} with an image), median of 3 runs; import = parse + check + write into a fresh store"
    );
    println!(
        "{:<9} {:>10} {:>12} {:>12}",
        "format", "size KB", "export ms", "import ms"
    );
    for (name, size, export, import, n) in rows {
        assert_eq!(n, 10_000);
        println!(
            "{name:<9} {:>10} {:>12.0} {:>12.0}",
            size / 1024,
            export.as_secs_f64() * 1e3,
            import.as_secs_f64() * 1e3
        );
    }
}
