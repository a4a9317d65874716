//! The `zh_variant` step: Simplified (`hans`), Traditional (`hant`) or `mixed` Chinese.
//!
//! whatlang and fastText call both scripts `zh`, and peers either mix them silently or drop
//! Traditional without saying so. We count the characters that exist in only one form, derived
//! from the OpenCC dictionaries that ferrous-opencc embeds (no hand-made list, no network):
//! * Traditional-only: OpenCC t2s changes it and s2t leaves it alone (後, 髮, 們);
//! * Simplified-only: s2t, s2tw and s2hk all change it and t2s leaves it alone (们, 发). Requiring
//!   all three keeps out characters Taiwan or Hong Kong write the "simplified" way (台, 着…).
//!
//! A doc is `hant` when ≥ 80% of the distinguishing characters are Traditional-only, `hans` when
//! ≤ 20% are, `mixed` in between (a Simplified page quoting a Traditional source, or a sloppy
//! converter). Only docs labelled `zh` get the column. `traditional:` chooses what happens to
//! `hant` and `mixed` docs: `keep`, `convert` (OpenCC t2s, or tw2s/hk2s/tw2sp; the column keeps
//! the original variant) or `drop` (`hant` only, reason `zh_traditional`).

use std::sync::OnceLock;

use ferrous_opencc::OpenCC;
use ferrous_opencc::config::BuiltinConfig;
use serde::{Deserialize, Serialize};
use skypile_core::{ColType, Column, Counters, Doc, Step, Verdict};

const HANT_MIN: f64 = 0.8;
const HANS_MAX: f64 = 0.2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Traditional {
    Keep,
    Convert,
    Drop,
}

/// OpenCC configurations that convert to Simplified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ToSimplified {
    /// Characters only (OpenCC's default; safe for any Traditional source).
    T2s,
    /// Taiwan variants first (臺→台 style), characters only.
    Tw2s,
    /// Taiwan variants and vocabulary (軟體→软件): rewrites words, not only characters.
    Tw2sp,
    /// Hong Kong variants first.
    Hk2s,
}

/// Labels zh docs `hans` / `hant` / `mixed`; keeps, converts or drops Traditional.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ZhVariantConfig {
    pub traditional: Traditional,
    pub opencc: ToSimplified,
}

impl Default for ZhVariantConfig {
    fn default() -> Self {
        ZhVariantConfig {
            traditional: Traditional::Keep,
            opencc: ToSimplified::T2s,
        }
    }
}

impl ZhVariantConfig {
    pub fn build(&self) -> anyhow::Result<ZhVariant> {
        let converter = match self.traditional {
            Traditional::Convert => {
                let cfg = match self.opencc {
                    ToSimplified::T2s => BuiltinConfig::T2s,
                    ToSimplified::Tw2s => BuiltinConfig::Tw2s,
                    ToSimplified::Tw2sp => BuiltinConfig::Tw2sp,
                    ToSimplified::Hk2s => BuiltinConfig::Hk2s,
                };
                Some(
                    OpenCC::from_config(cfg)
                        .map_err(|e| anyhow::anyhow!("zh_variant: OpenCC {cfg:?}: {e}"))?,
                )
            }
            _ => None,
        };
        charsets()?;
        Ok(ZhVariant {
            traditional: self.traditional,
            converter,
        })
    }
}

/// One bit per BMP code point for each set (Han is all in the BMP bar rare extensions).
struct Charsets {
    hant_only: Vec<u64>,
    hans_only: Vec<u64>,
}

fn bit(set: &[u64], c: char) -> bool {
    let i = c as usize;
    set.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 == 1)
}

static CHARSETS: OnceLock<Result<Charsets, String>> = OnceLock::new();

fn charsets() -> anyhow::Result<&'static Charsets> {
    CHARSETS
        .get_or_init(|| build_charsets().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| anyhow::anyhow!("zh_variant: {e}"))
}

/// Derive the one-form-only sets by converting every BMP Han character, one per line
/// (a newline never occurs in a dictionary key, so each line converts as a single character).
fn build_charsets() -> anyhow::Result<Charsets> {
    let chars: Vec<char> = (0x3400u32..=0x4DBF)
        .chain(0x4E00..=0x9FFF)
        .filter_map(char::from_u32)
        .collect();
    let input: String = chars.iter().flat_map(|&c| [c, '\n']).collect();
    let run = |cfg: BuiltinConfig| -> anyhow::Result<Vec<String>> {
        let cc = OpenCC::from_config(cfg).map_err(|e| anyhow::anyhow!("OpenCC {cfg:?}: {e}"))?;
        let out: Vec<String> = cc.convert(&input).split('\n').map(str::to_string).collect();
        anyhow::ensure!(
            out.len() == chars.len() + 1,
            "OpenCC {cfg:?} changed the line count"
        );
        Ok(out)
    };
    let (t2s, s2t, s2tw, s2hk) = (
        run(BuiltinConfig::T2s)?,
        run(BuiltinConfig::S2t)?,
        run(BuiltinConfig::S2tw)?,
        run(BuiltinConfig::S2hk)?,
    );
    let mut sets = Charsets {
        hant_only: vec![0; 1024],
        hans_only: vec![0; 1024],
    };
    for (i, &c) in chars.iter().enumerate() {
        let same = |v: &[String]| v.get(i).is_some_and(|s| s.chars().eq(std::iter::once(c)));
        let (word, b) = (c as usize / 64, c as usize % 64);
        if !same(&t2s) && same(&s2t) {
            sets.hant_only[word] |= 1 << b;
        } else if same(&t2s) && !same(&s2t) && !same(&s2tw) && !same(&s2hk) {
            sets.hans_only[word] |= 1 << b;
        }
    }
    Ok(sets)
}

/// `hans`, `hant` or `mixed`, with the counts of Traditional-only and Simplified-only characters.
/// Text without any distinguishing character is `hans`: it is valid Simplified as written.
pub fn classify(text: &str) -> (&'static str, usize, usize) {
    let Ok(sets) = charsets() else {
        return ("hans", 0, 0);
    };
    let (mut t, mut s) = (0, 0);
    for c in text.chars().filter(|&c| c >= '\u{3400}' && c <= '\u{9FFF}') {
        t += bit(&sets.hant_only, c) as usize;
        s += bit(&sets.hans_only, c) as usize;
    }
    let label = match t + s {
        0 => "hans",
        n if t as f64 / n as f64 >= HANT_MIN => "hant",
        n if t as f64 / n as f64 <= HANS_MAX => "hans",
        _ => "mixed",
    };
    (label, t, s)
}

pub struct ZhVariant {
    traditional: Traditional,
    converter: Option<OpenCC>,
}

impl Step for ZhVariant {
    fn name(&self) -> &str {
        "zh_variant"
    }

    fn columns(&self) -> Vec<Column> {
        vec![Column::new("zh_variant", ColType::Utf8)]
    }

    fn process(&self, doc: &mut Doc, stats: &mut Counters) -> Verdict {
        if !doc.is_zh() {
            return Verdict::Keep;
        }
        let (label, _, _) = classify(doc.text());
        doc.set_meta("zh_variant", label);
        stats.inc(&format!("zh_{label}"));
        match (self.traditional, label) {
            (Traditional::Drop, "hant") => Verdict::drop("zh_traditional"),
            (Traditional::Convert, "hant" | "mixed") => {
                if let Some(cc) = &self.converter {
                    let converted = cc.convert(doc.text());
                    doc.set_text(converted);
                    stats.inc("zh_converted");
                }
                Verdict::Keep
            }
            _ => Verdict::Keep,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HANS: &str = "我们的头发很长，后来她说这个国家的经济发展得很快。";
    const HANT: &str = "我們的頭髮很長，後來她說這個國家的經濟發展得很快。";

    fn zh(text: &str) -> Doc {
        let mut d = Doc::from_text("t", text);
        d.set_lang("zh", 1.0);
        d
    }

    #[test]
    fn classifies_simplified_traditional_and_mixed() {
        assert_eq!(classify(HANS).0, "hans");
        assert_eq!(classify(HANT).0, "hant");
        assert_eq!(classify(&format!("{HANS}{HANT}")).0, "mixed");
        assert_eq!(classify("中文").0, "hans", "no distinguishing character");
        // Taiwan writes 台 for 臺: not evidence of Simplified.
        assert_eq!(
            classify("台灣的臺北市是一個國際都會，台北捷運很方便。").0,
            "hant"
        );
    }

    #[test]
    fn convert_rewrites_traditional_and_keeps_the_label() {
        let step = ZhVariantConfig {
            traditional: Traditional::Convert,
            ..Default::default()
        }
        .build()
        .unwrap();
        let mut st = Counters::default();
        let mut d = zh(HANT);
        assert!(step.process(&mut d, &mut st).is_keep());
        assert_eq!(d.meta_str("zh_variant"), Some("hant"));
        assert_eq!(classify(d.text()).0, "hans", "{}", d.text());
        assert!(d.text().contains("我们") && d.text().contains('，'));
        assert_eq!(st.get("zh_converted"), 1);
    }

    #[test]
    fn drop_removes_only_traditional_zh_docs() {
        let step = ZhVariantConfig {
            traditional: Traditional::Drop,
            ..Default::default()
        }
        .build()
        .unwrap();
        let mut st = Counters::default();
        assert_eq!(
            step.process(&mut zh(HANT), &mut st),
            Verdict::drop("zh_traditional")
        );
        assert!(step.process(&mut zh(HANS), &mut st).is_keep());
        let mut ja = Doc::from_text("t", HANT);
        ja.set_lang("ja", 1.0);
        assert!(step.process(&mut ja, &mut st).is_keep());
        assert!(
            ja.meta_str("zh_variant").is_none(),
            "non-zh docs get no column"
        );
    }
}
