//! Tests of `minhash`.

use super::*;
use crate::harness::{Order, err_of, run, run_corrupting, tmpdir};

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: usize) -> usize {
        (splitmix(&mut self.0) % n as u64) as usize
    }
}

const ZH: &str = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处府队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严";

fn zh_text(r: &mut Rng, n: usize) -> String {
    let pool: Vec<char> = ZH.chars().collect();
    (0..n)
        .map(|i| {
            if i % 23 == 22 {
                '。'
            } else {
                pool[r.below(pool.len())]
            }
        })
        .collect()
}

fn en_text(r: &mut Rng, n: usize) -> String {
    let syl = [
        "ka", "lo", "mi", "ne", "ru", "ta", "po", "si", "ve", "do", "ga", "hu",
    ];
    (0..n)
        .map(|_| {
            (0..2 + r.below(2))
                .map(|_| syl[r.below(syl.len())])
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Replace `k` of the units (chars for zh, words for en) at random positions.
fn edit(r: &mut Rng, text: &str, zh: bool, k: usize) -> String {
    if zh {
        let mut cs: Vec<char> = text.chars().collect();
        let pool: Vec<char> = ZH.chars().collect();
        for _ in 0..k {
            let i = r.below(cs.len());
            cs[i] = pool[r.below(pool.len())];
        }
        cs.into_iter().collect()
    } else {
        let mut ws: Vec<String> = text.split(' ').map(String::from).collect();
        for _ in 0..k {
            let i = r.below(ws.len());
            ws[i] = format!("x{}", r.below(1000));
        }
        ws.join(" ")
    }
}

/// 10 zh and 10 en originals, each with 2 light edits; plus 20 unrelated docs.
fn corpus() -> Vec<Doc> {
    let mut r = Rng(7);
    let mut docs = Vec::new();
    let add = |text: String, id: String, docs: &mut Vec<Doc>| {
        let mut d = Doc::from_text(id, text);
        d.key = DocKey::new((docs.len() / 7) as u32, docs.len() as u64 * 1000);
        docs.push(d);
    };
    for i in 0..10 {
        for zh in [true, false] {
            let base = if zh {
                zh_text(&mut r, 600)
            } else {
                en_text(&mut r, 300)
            };
            let l = if zh { "zh" } else { "en" };
            add(base.clone(), format!("{l}{i}-orig"), &mut docs);
            for v in 0..2 {
                let e = edit(&mut r, &base, zh, 2);
                add(e, format!("{l}{i}-copy{v}"), &mut docs);
            }
            let other = if zh {
                zh_text(&mut r, 600)
            } else {
                en_text(&mut r, 300)
            };
            add(other, format!("{l}{i}-unrelated"), &mut docs);
        }
    }
    docs
}

fn step() -> Minhash {
    Minhash::new(MinhashConfig::default()).unwrap()
}

#[test]
fn near_duplicates_in_zh_and_en_are_removed_the_first_kept_same_for_any_tasks() {
    let mut prev: Option<Vec<String>> = None;
    for (tasks, order) in [
        (1, Order::Forward),
        (2, Order::Reverse),
        (3, Order::Forward),
    ] {
        let out = run(
            &step(),
            corpus(),
            tasks,
            &tmpdir(&format!("mh-{tasks}")),
            order,
        )
        .unwrap();
        let mut dropped: Vec<&str> = out.dropped_ids.iter().map(|(id, _)| id.as_str()).collect();
        dropped.sort();
        assert_eq!(dropped.len(), 40, "{dropped:?}");
        assert!(dropped.iter().all(|id| id.contains("-copy")), "{dropped:?}");
        for d in &out.kept {
            let want = if d.id.ends_with("-orig") { 3 } else { 1 };
            assert_eq!(
                d.meta_f64("minhash_cluster_size"),
                Some(want as f64),
                "{}",
                d.id
            );
        }
        assert_eq!(out.reduce.get("clusters"), 20);
        let kept: Vec<String> = out.kept.iter().map(|d| d.id.clone()).collect();
        if let Some(p) = &prev {
            assert_eq!(p, &kept);
        }
        prev = Some(kept);
    }
}

#[test]
fn chinese_is_shingled_by_characters_not_whitespace() {
    let s = step();
    let d = Doc::from_text("z", "我们在北京大学学习自然语言处理");
    assert_eq!(s.shingles(&d).len(), 15 - 4, "one 5-gram per char position");
    let spaced = Doc::from_text("z", "我们 在 北京大学，学习 自然语言处理！");
    assert_eq!(
        s.shingles(&d),
        s.shingles(&spaced),
        "spaces and punctuation do not matter"
    );
    let w = Minhash::new(MinhashConfig {
        zh_unit: ZhUnit::Words,
        ngram_zh: 2,
        ..Default::default()
    })
    .unwrap();
    assert!(
        w.shingles(&d).len() < 11,
        "jieba words are fewer units than chars"
    );
    assert_eq!(
        s.shingles(&Doc::from_text("e", "Hello, World again")).len(),
        1,
        "short docs: one shingle"
    );
    assert!(s.shingles(&Doc::from_text("e", " ，。 ")).is_empty());
}

#[test]
fn signature_agreement_estimates_jaccard() {
    let s = step();
    let a: Vec<u64> = (0..1000).collect();
    let b: Vec<u64> = (300..1300).collect(); // J = 700/1300 = 0.54
    let (sa, sb) = (s.signature(&a), s.signature(&b));
    let agree = sa.iter().zip(&sb).filter(|(x, y)| x == y).count() as f64 / sa.len() as f64;
    assert!((agree - 0.54).abs() < 0.12, "{agree}");
}

#[test]
fn s_curve_matches_the_formula() {
    let c = s_curve(14, 8);
    assert_eq!(c.len(), 11);
    assert!((c[0].0 - 0.5).abs() < 1e-9 && (c[10].1 - 1.0).abs() < 1e-9);
    assert!(c[5].1 > 0.75 && c[5].1 < 0.8, "{:?}", c[5]);
    assert!(estimate_memory(10_000_000, &MinhashConfig::default()) < 2 << 30);
}

#[test]
fn corrupted_intermediates_stop_reduce_and_applier_naming_the_file() {
    let dir = tmpdir("mh-corrupt-pairs");
    let f = cluster::pairs_path(&dir, 3);
    let e = err_of(run_corrupting(&step(), corpus(), &dir, &f));
    assert!(e.contains("mh-pairs-b003.bin"), "{e}");
    let dir = tmpdir("mh-corrupt-band");
    let f = band_path(&dir, 0, 5);
    let e = err_of(run_corrupting(&step(), corpus(), &dir, &f));
    assert!(
        e.contains("mh-t00000-b005.bin") && e.contains("truncated"),
        "{e}"
    );
    let dir = tmpdir("mh-corrupt-dec");
    let f = cluster::decisions_path(&dir, 0);
    let e = err_of(run_corrupting(&step(), corpus(), &dir, &f));
    assert!(e.contains("mh-decisions-t00000.bin"), "{e}");
}

#[test]
fn a_missing_task_or_other_config_is_refused() {
    let dir = tmpdir("mh-missing");
    let s = step();
    run(&s, corpus(), 2, &dir, Order::Forward).unwrap();
    std::fs::remove_file(keys_path(&dir, 1)).unwrap();
    let ctx = StageCtx {
        dir: dir.clone(),
        task: 0,
        tasks: 1,
        workers: 1,
        config_hash: s.config_hash(),
    };
    let e = s.reduce("minhash_cluster", &ctx).unwrap_err().to_string();
    assert!(
        e.contains("mh-keys-t00001.bin") && e.contains("missing"),
        "{e}"
    );
    let other = Minhash::new(MinhashConfig {
        seed: 2,
        ..Default::default()
    })
    .unwrap();
    let ctx = StageCtx {
        config_hash: other.config_hash(),
        ..ctx
    };
    let e = other
        .reduce("minhash_buckets", &ctx)
        .unwrap_err()
        .to_string();
    assert!(e.contains("different config"), "{e}");
}
