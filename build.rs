//! Writes each tiktoken vocabulary's ordinary tokens as a flat table for `src/tokens/vocab.rs`.
//!
//! Why at build time: tiktoken-rs builds a whole `CoreBPE` from base64 text (fancy-regex, two
//! hash maps) before its tokens can be read one by one, ~65 ms per process for cl100k of the
//! counter's ~90 ms load, which `skypile run` paid inside every first token count. Here that is
//! done once by tiktoken-rs itself, so the table is its vocabulary, byte for byte (the test
//! `vocab_equals_tiktoken` compares them again).
//!
//! Format (read only by `src/tokens/vocab.rs`, built with it): per token in rank order, its rank
//! (u32 LE), its length (u16 LE), its bytes. Special tokens are left out.

use std::collections::HashSet;
use std::io::Write;
use std::path::Path;

use tiktoken_rs::{CoreBPE, Rank};

/// tiktoken-rs's constructor of one vocabulary.
type Load = fn() -> anyhow::Result<CoreBPE>;

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let out = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR");
    let vocabularies: [(&str, Load); 4] = [
        ("cl100k_base", tiktoken_rs::cl100k_base),
        ("o200k_base", tiktoken_rs::o200k_base),
        ("r50k_base", tiktoken_rs::r50k_base),
        ("p50k_base", tiktoken_rs::p50k_base),
    ];
    for (name, load) in vocabularies {
        let bpe = load().expect("tiktoken-rs's embedded vocabulary");
        let path = Path::new(&out).join(format!("{name}.vocab"));
        std::fs::write(&path, table(&bpe)).expect("writing to OUT_DIR");
    }
}

/// The ordinary tokens of `bpe`: every rank `decode_bytes` knows, special ranks left out.
fn table(bpe: &CoreBPE) -> Vec<u8> {
    let specials: HashSet<Rank> = (bpe.special_tokens().iter())
        .flat_map(|s| bpe.encode_with_special_tokens(s))
        .collect();
    let max_special = specials.iter().copied().max().unwrap_or(0);
    let mut out = Vec::new();
    // Ordinary ranks may lie past the specials (p50k's space runs follow <|endoftext|>): read up
    // to the first gap after the last special.
    for rank in 0.. {
        match bpe.decode_bytes(&[rank]) {
            Ok(_) if specials.contains(&rank) => {}
            Ok(bytes) => {
                let len = u16::try_from(bytes.len()).expect("tokens are short");
                out.write_all(&rank.to_le_bytes()).unwrap();
                out.write_all(&len.to_le_bytes()).unwrap();
                out.write_all(&bytes).unwrap();
            }
            Err(_) if rank > max_special => break,
            Err(_) => {}
        }
    }
    out
}
