//! Every event of the given inputs, one line each, to prove a reader change output-neutral:
//! run it on two builds and `diff` (or `sha256sum`) the outputs.
//! * A skip prints in full; a doc prints its id and the length and a fixed-key hash of its
//!   whole `Debug` form (text, HTML, body bytes, meta, key, source), so the dump stays small.
//! * `DUMP_DEFER=1` leaves charset decoding undone, as the runner does (bodies stay bytes).

use std::hash::{Hash, Hasher};

use skypile_ingest::{Event, InputConfig};

fn main() -> anyhow::Result<()> {
    let paths: Vec<String> = std::env::args().skip(1).collect();
    let cfg = InputConfig {
        paths,
        record_types: vec!["response".into(), "resource".into()],
        defer_decode: std::env::var_os("DUMP_DEFER").is_some(),
        ..Default::default()
    };
    for (i, f) in skypile_ingest::list_inputs(&cfg.paths)?.iter().enumerate() {
        let events = match skypile_ingest::open(f, i as u32, &cfg) {
            Ok(e) => e,
            Err(e) => {
                println!("{}: open failed: {e:#}", f.display());
                continue;
            }
        };
        println!("file {}", f.display());
        for ev in events {
            match ev {
                Event::Doc(d) => {
                    let full = format!("{d:?}");
                    // DefaultHasher::new() has fixed keys: the same bytes hash the same in
                    // every build and run.
                    let mut h = std::collections::hash_map::DefaultHasher::new();
                    full.hash(&mut h);
                    println!("doc {} {} {:016x}", d.id, full.len(), h.finish());
                }
                skip => println!("{skip:?}"),
            }
        }
    }
    Ok(())
}
