//! Evaluation documents built from `../shared/data` (read-only, never copied into the repo).
//! Shared by `examples/eval_lang.rs` and the integration tests in `tests/`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One labelled document.
#[derive(Clone)]
pub struct Sample {
    pub source: String,
    pub expect: String,
    pub text: String,
}

/// Accuracy of a labeller over samples, per expected label.
#[derive(Default)]
pub struct Tally {
    /// expected label → (correct, total)
    pub per: BTreeMap<String, (usize, usize)>,
    /// (source, expected, got)
    pub wrong: Vec<(String, String, String)>,
}

impl Tally {
    pub fn of(docs: &[Sample], label: impl Fn(&str) -> String) -> Self {
        let mut t = Tally::default();
        for s in docs {
            let got = label(&s.text);
            let e = t.per.entry(s.expect.clone()).or_default();
            e.1 += 1;
            if got == s.expect {
                e.0 += 1;
            } else {
                t.wrong.push((s.source.clone(), s.expect.clone(), got));
            }
        }
        t
    }

    /// The lowest per-label accuracy; 0 for an empty tally, so a floor never passes on no data.
    pub fn min_acc(&self) -> f64 {
        self.per
            .values()
            .map(|(ok, n)| *ok as f64 / (*n).max(1) as f64)
            .reduce(f64::min)
            .unwrap_or(0.0)
    }

    pub fn count(&self, expect: &str, got: &str) -> usize {
        self.wrong
            .iter()
            .filter(|w| w.1 == expect && w.2 == got)
            .count()
    }

    pub fn print(&self, name: &str) {
        let (ok, n) = self
            .per
            .values()
            .fold((0, 0), |a, v| (a.0 + v.0, a.1 + v.1));
        println!(
            "\n== {name}: {ok}/{n} = {:.2}%",
            100.0 * ok as f64 / n.max(1) as f64
        );
        for (l, (ok, n)) in &self.per {
            println!(
                "  {l:>4}  {ok:>5}/{n:<5} {:6.2}%",
                100.0 * *ok as f64 / (*n).max(1) as f64
            );
        }
        let mut confusion: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for (_, e, g) in &self.wrong {
            *confusion.entry((e, g)).or_default() += 1;
        }
        if !confusion.is_empty() {
            let c: Vec<String> = confusion
                .iter()
                .map(|((e, g), n)| format!("{e}→{g}:{n}"))
                .collect();
            println!("  errors: {}", c.join(" "));
        }
    }
}

/// `<workspace>/../shared/data`, if present.
pub fn data_dir() -> Option<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data");
    d.is_dir().then_some(d)
}

/// The 16 languages of the lingua test data.
pub const LINGUA_LANGS: [&str; 16] = [
    "zh", "en", "ja", "ko", "ar", "de", "es", "fr", "hi", "id", "it", "pt", "ru", "th", "tr", "vi",
];

/// Consecutive sentences of each language joined until a doc has ≥ `min_chars` characters.
pub fn lingua_docs(data: &Path, min_chars: usize) -> Vec<Sample> {
    let mut out = Vec::new();
    for lang in LINGUA_LANGS {
        let p = data.join(format!("langid/lingua-testdata/sentences/{lang}.txt"));
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        let sep = if matches!(lang, "zh" | "ja") { "" } else { " " };
        let mut cur = String::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
            if !cur.is_empty() {
                cur.push_str(sep);
            }
            cur.push_str(line);
            if cur.chars().count() >= min_chars {
                out.push(Sample {
                    source: format!("lingua/{lang}#{}", out.len()),
                    expect: lang.into(),
                    text: std::mem::take(&mut cur),
                });
            }
        }
    }
    out
}

/// Real Chinese web and news text: ChineseWebText (CCNet zh) and SogouCS news (GB18030 bytes).
pub fn zh_real_docs(data: &Path, min_chars: usize) -> Vec<Sample> {
    let mut out = Vec::new();
    for f in [
        "2021-43-cleared1.jsonl",
        "fasttext-clean.jsonl",
        "fasttext-dirty.jsonl",
    ] {
        let Ok(s) = std::fs::read_to_string(data.join("text-zh/chinesewebtext").join(f)) else {
            continue;
        };
        for (i, line) in s.lines().enumerate() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let t = ["raw_content", "text", "content"]
                .iter()
                .find_map(|k| v.get(k).and_then(|x| x.as_str()));
            if let Some(t) = t.filter(|t| t.chars().count() >= min_chars) {
                out.push(Sample {
                    source: format!("chinesewebtext/{f}#{i}"),
                    expect: "zh".into(),
                    text: t.to_string(),
                });
            }
        }
    }
    if let Ok(bytes) = std::fs::read(data.join("text-zh/sogoucs-mini/news_sohusite_xml.smarty.dat"))
    {
        let (s, _, _) = encoding_rs::GB18030.decode(&bytes);
        for (i, part) in s.split("<content>").skip(1).enumerate() {
            let t = part.split("</content>").next().unwrap_or("").trim();
            if t.chars().count() >= min_chars {
                out.push(Sample {
                    source: format!("sogoucs#{i}"),
                    expect: "zh".into(),
                    text: t.to_string(),
                });
            }
        }
    }
    out
}

/// Real English web text: dolma CC head docs and the Dragnet gold main texts.
pub fn en_real_docs(data: &Path, min_chars: usize) -> Vec<Sample> {
    let mut out = Vec::new();
    for f in [
        "dolma-cc_en_head-0091.jsonl.gz",
        "dolma-cc_en_head-0174.jsonl.gz",
    ] {
        let Ok(file) = std::fs::File::open(data.join("text-en").join(f)) else {
            continue;
        };
        let mut s = String::new();
        if flate2::read::GzDecoder::new(file)
            .read_to_string(&mut s)
            .is_err()
        {
            continue;
        }
        for (i, line) in s.lines().enumerate() {
            let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            if let Some(t) = v
                .get("text")
                .and_then(|x| x.as_str())
                .filter(|t| t.chars().count() >= min_chars)
            {
                out.push(Sample {
                    source: format!("dolma/{f}#{i}"),
                    expect: "en".into(),
                    text: t.to_string(),
                });
            }
        }
    }
    let gold = data.join("extraction/en-dragnet-sample/GoldStandard");
    for p in sorted_files(&gold) {
        let Ok(b) = std::fs::read(&p) else { continue };
        let t = String::from_utf8_lossy(&b).to_string();
        if t.chars().count() >= min_chars {
            out.push(Sample {
                source: format!("dragnet/{}", p.display()),
                expect: "en".into(),
                text: t,
            });
        }
    }
    out
}

/// Single sentences of 69 languages (short: reported, not held to the floor).
pub fn whatlang_examples(data: &Path) -> Vec<Sample> {
    let Ok(s) = std::fs::read_to_string(data.join("langid/whatlang-examples.json")) else {
        return Vec::new();
    };
    let Ok(serde_json::Value::Object(m)) = serde_json::from_str::<serde_json::Value>(&s) else {
        return Vec::new();
    };
    m.into_iter()
        .filter_map(|(code, v)| {
            let lang = whatlang::Lang::from_code(code.as_str())?;
            let text = v.as_str()?.to_string();
            Some(Sample {
                source: format!("whatlang/{code}"),
                expect: skypile_lang::detect::iso639_1(lang).into(),
                text,
            })
        })
        .collect()
}

/// The chardet test files decoded by their folder's label, markup stripped, and the language
/// that label implies (only folders that imply one). "Enough text" is ≥ `min_cjk` CJK characters:
/// several files are feeds of URLs, dates and English titles with a few Chinese words, whose
/// honest label is not the folder's language.
pub fn charset_docs(data: &Path, min_cjk: usize) -> Vec<Sample> {
    let folders = [
        ("SHIFT_JIS", "Shift_JIS", "ja"),
        ("CP932", "Shift_JIS", "ja"),
        ("EUC-JP", "EUC-JP", "ja"),
        ("iso-2022-jp", "ISO-2022-JP", "ja"),
        ("EUC-KR", "EUC-KR", "ko"),
        ("CP949", "EUC-KR", "ko"),
        ("GB2312", "GBK", "zh"),
        ("Big5", "Big5", "zh"),
    ];
    let mut out = Vec::new();
    for (folder, label, lang) in folders {
        let Some(enc) = encoding_rs::Encoding::for_label(label.as_bytes()) else {
            continue;
        };
        for p in sorted_files(&data.join("encoding/chardet").join(folder)) {
            let Ok(bytes) = std::fs::read(&p) else {
                continue;
            };
            let (s, _, _) = enc.decode(&bytes);
            let text = strip_markup(&s);
            if text
                .chars()
                .filter(|&c| skypile_core::text::is_cjk(c))
                .count()
                >= min_cjk
            {
                out.push(Sample {
                    source: format!("chardet/{folder}/{}", file_name(&p)),
                    expect: lang.into(),
                    text,
                });
            }
        }
    }
    out
}

/// Documents with a known Chinese script variant (`hans` / `hant`).
pub fn variant_docs(data: &Path, min_chars: usize) -> Vec<Sample> {
    let s2t = ferrous_opencc::OpenCC::from_config(ferrous_opencc::config::BuiltinConfig::S2t).ok();
    let mut out = Vec::new();
    let simplified: Vec<Sample> = lingua_docs(data, min_chars)
        .into_iter()
        .filter(|s| s.expect == "zh")
        .chain(zh_real_docs(data, min_chars))
        .collect();
    for s in simplified {
        if let Some(cc) = &s2t {
            out.push(Sample {
                source: format!("s2t({})", s.source),
                expect: "hant".into(),
                text: cc.convert(&s.text),
            });
        }
        out.push(Sample {
            source: s.source,
            expect: "hans".into(),
            text: s.text,
        });
    }
    for s in charset_docs(data, 50) {
        if s.source.contains("/GB2312/") {
            out.push(Sample {
                expect: "hans".into(),
                ..s
            });
        } else if s.source.contains("/Big5/") {
            out.push(Sample {
                expect: "hant".into(),
                ..s
            });
        }
    }
    out.extend(
        whatlang_examples(data)
            .into_iter()
            .filter(|s| s.expect == "zh")
            .map(|s| Sample {
                expect: "hant".into(),
                ..s
            }),
    );
    out
}

fn strip_markup(s: &str) -> String {
    let s = s.replace("<![CDATA[", " ").replace("]]>", " ");
    let mut out = String::with_capacity(s.len());
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn sorted_files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default()
}
