//! The `lang` step: label every document with its language, main script and CJK share.
//!
//! Labels every language whatlang knows (plus `und` for text without letters) and never drops:
//! choosing languages is [`crate::lang_filter`]'s job, so `extract.yaml` can label and keep all.
//! An empty or letterless document is kept as `und` (score 0) rather than dropped here, so the
//! removal shows up once, as `lang_filter.dropped_lang`, with the other unwanted languages.
//! Detection logic and its thresholds: [`crate::detect`].
//!
//! With `model: path/to/lid.176.bin` (or GlotLID, or a model from `skypile train classifier`)
//! a fastText language-ID model picks the language and its score instead of whatlang, as
//! FineWeb does; `script` and `cjk_share` still come from the character counts.

use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use skypile_core::{ColType, Column, Counters, Doc, Step, Verdict};

use crate::detect::{detect, script_only};

/// Language ID from script ratios and whatlang trigrams: sets `lang`, `lang_score`.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct LangConfig {
    /// How many bytes of a long document whatlang reads (start + middle); script ratios read
    /// at most `SCAN_SAMPLES` (12) times as much and a fastText model [`MODEL_SAMPLES`] (3)
    /// times, so the cost per doc is bounded (0: whole text). whatlang's trigrams grow with
    /// it (they were most of the step's cost before `vendor/whatlang`'s faster scorer): 1 KB
    /// gives the same labels as 3 KB on `scripts/eval/lang.sh` at 2/3 of the step's time there.
    pub sample_bytes: usize,
    /// A jieba user dictionary (`word [freq] [tag]` per line), loaded once per process before
    /// the first Chinese doc is segmented. Relative paths resolve against the pipeline YAML.
    pub jieba_user_dict: Option<String>,
    /// A fastText language-ID model (`__label__en`, `__label__zh`, `__label__cmn_Hani`, ...),
    /// loaded once per process; relative paths resolve against the pipeline YAML.
    pub model: Option<String>,
}

impl Default for LangConfig {
    fn default() -> Self {
        LangConfig {
            sample_bytes: 1000,
            jieba_user_dict: None,
            model: None,
        }
    }
}

impl LangConfig {
    /// `resolve` maps a config path to a file (the runner's `BuildCtx::resolve`).
    pub fn build(&self, resolve: impl Fn(&str) -> PathBuf) -> anyhow::Result<LangId> {
        if let Some(p) = &self.jieba_user_dict {
            skypile_core::text::set_user_dict(resolve(p))?;
        }
        let model = match &self.model {
            Some(p) => Some(skypile_fasttext::shared::load(&resolve(p))?),
            None => None,
        };
        Ok(LangId {
            sample_bytes: self.sample_bytes,
            model,
        })
    }
}

pub struct LangId {
    sample_bytes: usize,
    model: Option<Arc<skypile_fasttext::Model>>,
}

/// A fastText model reads this many `sample_bytes` (3 KB by default, as before the whatlang
/// sample was cut to 1 KB: fastText's cost per byte is small next to whatlang's).
pub const MODEL_SAMPLES: usize = 3;

/// The model's best language for the first `sample_bytes` of the text (fastText splits on
/// whitespace, so line breaks count as spaces, as FineWeb feeds `lid.176`).
fn model_lang(model: &skypile_fasttext::Model, text: &str, sample_bytes: usize) -> (String, f32) {
    let mut end = match sample_bytes {
        0 => text.len(),
        n => text.len().min(n),
    };
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let Some(p) = model.predict_line(&text[..end]) else {
        return ("und".into(), 0.0);
    };
    let best = (0..p.len()).max_by(|&a, &b| p[a].total_cmp(&p[b]));
    best.map_or(("und".into(), 0.0), |i| {
        (lang_code(&model.dict.label(i)), p[i].min(1.0))
    })
}

/// A model label as the two-letter code the other steps use: `en`, `eng_Latn` and `eng` all
/// become `en`, `cmn_Hani`/`zho` become `zh`; codes whatlang does not know stay as they are.
fn lang_code(label: &str) -> String {
    let code = label.split(['_', '-']).next().unwrap_or(label);
    match code {
        "zho" => "zh".into(),
        c if c.len() == 3 => whatlang::Lang::from_code(c)
            .map(crate::detect::iso639_1)
            .unwrap_or(c)
            .to_string(),
        c => c.to_string(),
    }
}

impl Step for LangId {
    fn name(&self) -> &str {
        "lang"
    }

    fn columns(&self) -> Vec<Column> {
        vec![
            Column::new("script", ColType::Utf8),
            Column::new("cjk_share", ColType::Float32),
        ]
    }

    fn process(&self, doc: &mut Doc, stats: &mut Counters) -> Verdict {
        // With a model, whatlang's trigrams would be computed only to be thrown away.
        let (d, (lang, score)) = match &self.model {
            Some(m) => (
                script_only(doc.text(), self.sample_bytes),
                model_lang(m, doc.text(), self.sample_bytes * MODEL_SAMPLES),
            ),
            None => {
                let d = detect(doc.text(), self.sample_bytes);
                let ls = (d.lang.to_string(), d.score);
                (d, ls)
            }
        };
        if lang == "und" {
            stats.inc("lang_und");
        }
        doc.set_lang(&lang, score);
        doc.set_meta("script", d.script);
        doc.set_meta("cjk_share", d.cjk_share);
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_and_keeps_every_language() {
        let step = LangConfig::default().build(|p| PathBuf::from(p)).unwrap();
        let mut stats = Counters::default();
        let cases = [
            (
                "我们在北京大学学习自然语言处理，这是一个很有意思的研究方向。",
                "zh",
                "Hani",
            ),
            (
                "Der schnelle braune Fuchs springt über den faulen Hund, während der Bauer zusieht.",
                "de",
                "Latn",
            ),
            ("", "und", "Zyyy"),
        ];
        for (text, lang, script) in cases {
            let mut d = Doc::from_text("t", text);
            assert_eq!(step.process(&mut d, &mut stats), Verdict::Keep);
            assert_eq!(
                (d.lang.as_str(), d.meta_str("script")),
                (lang, Some(script))
            );
            assert!(d.meta_f64("cjk_share").is_some());
        }
        assert_eq!(stats.get("lang_und"), 1);
    }

    #[test]
    fn relabelling_resets_the_word_view() {
        let step = LangConfig::default().build(|p| PathBuf::from(p)).unwrap();
        let mut d = Doc::from_text("t", "自然语言处理是人工智能的一个重要方向");
        let chars_as_words = d.word_count();
        step.process(&mut d, &mut Counters::default());
        assert!(d.is_zh());
        assert!(
            d.word_count() < chars_as_words,
            "jieba words after the label"
        );
    }

    #[test]
    fn missing_user_dict_is_a_config_error() {
        let cfg = LangConfig {
            jieba_user_dict: Some("/nonexistent/dict.txt".into()),
            ..Default::default()
        };
        let err = cfg
            .build(|p| PathBuf::from(p))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("dict.txt"), "{err}");
    }

    /// A tiny fastText LID model trained here on a few sentences per language; held-out
    /// sentences (other word orders, other words) must get the right code, mapped from the
    /// model's `eng_Latn`-style labels.
    #[test]
    fn a_fasttext_lid_model_replaces_whatlang() {
        use skypile_fasttext::{Args, TrainOpts};
        let langs = [
            (
                "eng_Latn",
                "the river flows past the old mill and the children play near the water every summer day",
            ),
            (
                "deu_Latn",
                "der fluss fliesst an der alten muehle vorbei und die kinder spielen jeden sommertag am wasser",
            ),
            (
                "cmn_Hani",
                "河 水 流 过 老 磨 坊 孩 子 们 每 个 夏 天 都 在 水 边 玩 耍 我 们 的 学 校",
            ),
        ];
        let examples = skypile_fasttext::train::toy_examples(&langs, 60, 4..10, 5);
        let args = Args {
            dim: 8,
            epoch: 10,
            minn: 1,
            maxn: 3,
            bucket: 2000,
            ..Args::default()
        };
        let opts = TrainOpts {
            args,
            lr: 0.5,
            ..Default::default()
        };
        let model = skypile_fasttext::train(&examples, &opts).unwrap();
        let path = std::env::temp_dir().join(format!("skypile-lid-{}.bin", std::process::id()));
        model.save(&path).unwrap();
        let cfg = LangConfig {
            model: Some(path.display().to_string()),
            ..Default::default()
        };
        let step = cfg.build(|p| PathBuf::from(p)).unwrap();
        for (text, want) in [
            ("the children play by the water", "en"),
            ("die kinder spielen am wasser", "de"),
            ("孩子们在水边玩耍", "zh"),
        ] {
            let mut d = Doc::from_text("t", text);
            step.process(&mut d, &mut Counters::default());
            assert_eq!(d.lang, want, "{text}");
            assert!(
                d.lang_score > 0.5 && d.meta_str("script").is_some(),
                "{text}"
            );
        }
        let _ = std::fs::remove_file(path);
    }
}
