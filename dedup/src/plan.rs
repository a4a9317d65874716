//! What `skypile plan` prints for a minhash step: the S-curve and the reduce memory estimate.

use crate::minhash::{MinhashConfig, ZhUnit, estimate_memory, s_curve};

/// A few lines for humans: bands × rows, shingles, P(detect) at J = 0.5…1.0, peak memory.
pub fn describe(docs: u64, cfg: &MinhashConfig) -> String {
    let unit = match cfg.zh_unit {
        ZhUnit::Chars => "chars",
        ZhUnit::Words => "jieba words",
    };
    let curve = s_curve(cfg.bands, cfg.rows);
    let js: Vec<String> = curve.iter().map(|(j, _)| format!("{j:>5.2}")).collect();
    let ps: Vec<String> = curve.iter().map(|(_, p)| format!("{p:>5.3}")).collect();
    let mib = |b: u64| b as f64 / (1u64 << 20) as f64;
    format!(
        "minhash: {} bands x {} rows = {} hashes; shingles: en {}-word, zh {}-{unit}\n\
         J        {}\nP(found) {}\n\
         reduce peak memory for {docs} docs: {:.0} MiB (minhash_cluster 20 B/doc; minhash_buckets 16 B/doc per band rank)",
        cfg.bands,
        cfg.rows,
        cfg.bands * cfg.rows,
        cfg.ngram_en,
        cfg.ngram_zh,
        js.join(" "),
        ps.join(" "),
        mib(estimate_memory(docs, cfg))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_shows_the_curve_and_memory() {
        let s = describe(10_000_000, &MinhashConfig::default());
        assert!(
            s.contains("14 bands x 8 rows") && s.contains("0.772") && s.contains("199 MiB"),
            "{s}"
        );
    }
}
