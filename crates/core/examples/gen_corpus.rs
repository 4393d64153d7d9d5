//! `gen_corpus DATA_DIR N [LINES_FILE]`: fill a store with N synthetic replies (see
//! `quickreply_core::corpus`) and optionally write them as one line each (title and body)
//! for tools such as `fzf --filter`. Used by `cargo xtask bench search`.

use std::io::Write;

use quickreply_core::Store;
use quickreply_core::proto::Part;
use quickreply_core::store::PERSONAL;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: gen_corpus DATA_DIR N [LINES_FILE]";
    let dir = args.next().ok_or(usage)?;
    let n: usize = args.next().ok_or(usage)?.parse()?;
    let lines = args.next();
    let replies = quickreply_core::corpus::replies(n, 42);
    if let Some(path) = lines {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
        for r in &replies {
            let body: Vec<&str> = r.parts.iter().filter_map(Part::text).collect();
            writeln!(
                out,
                "{}\t{}\t{}\t{}",
                r.title,
                r.code.as_deref().unwrap_or(""),
                r.tags.join(" "),
                body.join(" ")
            )?;
        }
    }
    let mut store = Store::open(std::path::Path::new(&dir))?;
    let lib = store.library(PERSONAL)?;
    store.add_snippets(&lib, replies)?;
    Ok(())
}
