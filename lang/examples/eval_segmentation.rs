//! Chinese segmentation F1 of the words view (`Doc::words()` for zh = jieba, HMM on) against the
//! SIGHAN 2005 PKU test gold. Run: `scripts/eval/segmentation.sh`. jieba's published level on
//! PKU is ~0.8–0.85 F1 (different segmentation standard); a much lower number means bad wiring.

#[path = "common/corpus.rs"]
mod corpus;
#[path = "common/seg.rs"]
mod seg;

fn main() {
    let Some(data) = corpus::data_dir() else {
        println!("skipping: ../shared/data not found");
        return;
    };
    let t0 = std::time::Instant::now();
    let Some((all, view)) = seg::score_pku(&data, usize::MAX) else {
        println!("skipping: PKU files not found");
        return;
    };
    for (name, s) in [
        ("all tokens incl. punctuation (bakeoff scoring)", all),
        ("words view (punctuation dropped both sides)", view),
    ] {
        println!(
            "{name}: P {:.4} R {:.4} F1 {:.4}  (gold {} pred {} correct {})",
            s.p(),
            s.r(),
            s.f1(),
            s.gold,
            s.pred,
            s.correct
        );
    }
    println!(
        "time {:.2} s (incl. dictionary load)",
        t0.elapsed().as_secs_f64()
    );
    if view.f1() < 0.78 {
        std::process::exit(1);
    }
}
