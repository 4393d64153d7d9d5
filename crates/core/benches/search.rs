//! Search latency over 1k / 10k / 100k generated replies (realistic Chinese phrasing,
//! pinyin and code queries). Criterion measures each size; afterwards p50/p99 per single
//! query are printed for the in-memory index (what the app uses on every keystroke) and
//! for the streaming store search (what `qreply search` runs). Target: index p99 ≤ 5 ms
//! at 100k.
#![allow(clippy::expect_used, clippy::panic)] // a test or bench fails by panicking

use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use quickreply_core::corpus::{QUERIES, replies};
use quickreply_core::store::PERSONAL;
use quickreply_core::{SearchOptions, Store};

fn build(n: usize) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = Store::open(dir.path()).expect("open");
    let lib = store.library(PERSONAL).expect("personal");
    store.add_snippets(&lib, replies(n, 42)).expect("add");
    (dir, store)
}

fn percentiles(mut v: Vec<Duration>) -> (Duration, Duration, Duration) {
    v.sort();
    let at = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
    (at(0.5), at(0.99), v[v.len() - 1])
}

fn bench(c: &mut Criterion) {
    let mut report = Vec::new();
    for n in [1_000usize, 10_000, 100_000] {
        let (_dir, store) = build(n);
        let t = Instant::now();
        let index = store.search_index().expect("index");
        let build_time = t.elapsed();
        let mut group = c.benchmark_group(format!("search/{n}"));
        group
            .sample_size(20)
            .measurement_time(Duration::from_secs(2));
        group.bench_function("index, all queries", |b| {
            b.iter(|| {
                for q in QUERIES {
                    std::hint::black_box(index.search(q, None, 20));
                }
            })
        });
        group.finish();

        let mut per_query = Vec::new();
        for _ in 0..30 {
            for q in QUERIES {
                let t = Instant::now();
                std::hint::black_box(index.search(q, None, 20));
                per_query.push(t.elapsed());
            }
        }
        let (p50, p99, max) = percentiles(per_query);
        let mut streamed = Vec::new();
        for _ in 0..3 {
            for q in QUERIES {
                let t = Instant::now();
                std::hint::black_box(store.search(q, &SearchOptions::default()).expect("search"));
                streamed.push(t.elapsed());
            }
        }
        let (s50, s99, _) = percentiles(streamed);
        report.push(format!(
            "{n:>7} replies: index p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>7.3} ms | store scan p50 {:>7.2} ms  p99 {:>7.2} ms | index build {:>6.0} ms",
            p50.as_secs_f64() * 1e3,
            p99.as_secs_f64() * 1e3,
            max.as_secs_f64() * 1e3,
            s50.as_secs_f64() * 1e3,
            s99.as_secs_f64() * 1e3,
            build_time.as_secs_f64() * 1e3,
        ));
    }
    println!(
        "\nper-query latency ({} queries: {:?})",
        QUERIES.len(),
        QUERIES
    );
    for line in report {
        println!("{line}");
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
