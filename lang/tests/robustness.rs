//! Hostile input never panics: random mixes of scripts, controls, mojibake, URLs and odd spaces
//! through every step, with every option combination that changes code paths.

use skypile_core::{Counters, Doc, Step};
use skypile_lang::normalize::UnicodeForm;
use skypile_lang::zh_variant::Traditional;
use skypile_lang::{LangConfig, LangFilterConfig, NormalizeConfig, ZhVariantConfig};

const PALETTE: &[&str] = &[
    "中",
    "們",
    "发",
    "髮",
    "の",
    "ア",
    "한",
    "a",
    "Z",
    "é",
    "Ã",
    "©",
    "â",
    "€",
    "™",
    "ä",
    "¸",
    "­",
    "ð",
    "Ÿ",
    "\u{200B}",
    "\u{FEFF}",
    "\u{0000}",
    "\u{0085}",
    "\r",
    "\n",
    "\t",
    " ",
    "\u{3000}",
    "，",
    "。",
    "……",
    "Ａ",
    "１",
    "²",
    "ﬁ",
    "e\u{0301}",
    "http://",
    "www.",
    "@",
    "x@y.z",
    "/",
    "?",
    "&",
    "🙂",
    "\u{200D}",
    "д",
    "ع",
    "ไ",
    "\u{FFFD}",
    "\u{10FFFF}",
];

fn random_text(seed: &mut u64, len: usize) -> String {
    let mut s = String::new();
    for _ in 0..len {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        s.push_str(PALETTE[(*seed >> 33) as usize % PALETTE.len()]);
    }
    s
}

#[test]
fn random_text_through_every_step() {
    let mut steps: Vec<Box<dyn Step>> = vec![
        Box::new(
            LangConfig {
                sample_bytes: 7,
                ..Default::default()
            }
            .build(|p| p.into())
            .unwrap(),
        ),
        Box::new(LangConfig::default().build(|p| p.into()).unwrap()),
    ];
    for t in [Traditional::Keep, Traditional::Convert, Traditional::Drop] {
        steps.push(Box::new(
            ZhVariantConfig {
                traditional: t,
                ..Default::default()
            }
            .build()
            .unwrap(),
        ));
    }
    for u in [UnicodeForm::Nfkc, UnicodeForm::Nfc, UnicodeForm::None] {
        steps.push(Box::new(
            NormalizeConfig {
                unicode: u,
                ..Default::default()
            }
            .build()
            .unwrap(),
        ));
    }
    steps.push(Box::new(LangFilterConfig::default().build().unwrap()));
    let mut seed = 42u64;
    let mut st = Counters::default();
    for i in 0..3000 {
        let text = random_text(&mut seed, i % 300);
        let mut doc = Doc::from_text("r", text);
        for s in &steps {
            s.process(&mut doc, &mut st);
            for r in doc.word_ranges() {
                assert!(doc.text().is_char_boundary(r.start) && doc.text().is_char_boundary(r.end));
            }
            if doc.is_zh() || i % 7 == 0 {
                doc.set_lang(if i % 2 == 0 { "zh" } else { "en" }, 1.0);
            }
        }
        assert!((0.0..=1.0).contains(&doc.lang_score));
    }
}

#[test]
fn normalize_is_idempotent() {
    let n = NormalizeConfig {
        mojibake: false,
        ..Default::default()
    }
    .build()
    .unwrap();
    let mut seed = 7u64;
    let mut st = Counters::default();
    for i in 0..3000 {
        let text = random_text(&mut seed, i % 200);
        let once = n.apply(&text, &mut st).unwrap_or(text);
        assert_eq!(n.apply(&once, &mut st), None, "{once:?}");
    }
}

/// Linear time on input built to be slow: 2 MB of one repeated shape per doc, through every
/// `lang` step. The URL/e-mail pre-pass used to rescan the rest of the text at each `@`: 400 KB
/// of `"@ "` took 9 s, so each of these docs took minutes (quadratic); now each takes
/// milliseconds. No clock in the test: a quadratic pass shows as a test that does not finish.
#[test]
fn pathological_docs_take_linear_time() {
    let steps: Vec<Box<dyn Step>> = vec![
        Box::new(NormalizeConfig::default().build().unwrap()),
        Box::new(LangConfig::default().build(|p| p.into()).unwrap()),
        Box::new(ZhVariantConfig::default().build().unwrap()),
        Box::new(LangFilterConfig::default().build().unwrap()),
    ];
    let mut st = Counters::default();
    for shape in ["@ ", "a@", "a@b ", "x.y@", "www.", "http://", "://@", "中@"] {
        let text = shape.repeat(2_000_000 / shape.len());
        let mut doc = Doc::from_text("p", text);
        for s in &steps {
            s.process(&mut doc, &mut st);
        }
        assert!(!doc.lang.is_empty(), "{shape:?}");
    }
}
