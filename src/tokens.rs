//! Token counting for the `token_count` column.
//!
//! The default is an embedded BPE (tiktoken's cl100k_base, shipped inside tiktoken-rs), so a
//! run works offline with no download. `o200k_base` is the other embedded choice; users who
//! train with their own vocabulary can point at a local Hugging Face `tokenizer.json`
//! (`tokenizer.hf_json`; read from disk, never downloaded).

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use tiktoken_rs::CoreBPE;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenizerConfig {
    /// `cl100k_base` (default), `o200k_base`, `r50k_base`, `p50k_base`, or `none` to skip
    /// counting (token_count = 0).
    pub encoding: String,
    /// A local Hugging Face `tokenizer.json`; when set it replaces `encoding`.
    pub hf_json: Option<String>,
}

impl Default for TokenizerConfig {
    fn default() -> Self {
        TokenizerConfig {
            encoding: "cl100k_base".into(),
            hf_json: None,
        }
    }
}

pub enum Tokenizer {
    /// Loaded on first use (0.15–0.3 s): stages that count no tokens never pay for it.
    Bpe(fn() -> &'static CoreBPE),
    Hf(Box<tokenizers::Tokenizer>),
    None,
}

impl Tokenizer {
    pub fn new(cfg: &TokenizerConfig) -> Result<Tokenizer> {
        if let Some(path) = &cfg.hf_json {
            let t = tokenizers::Tokenizer::from_file(path)
                .map_err(|e| anyhow::anyhow!("`tokenizer.hf_json: {path}` cannot be loaded ({e}): give the path of a local tokenizer.json"))?;
            return Ok(Tokenizer::Hf(Box::new(t)));
        }
        Ok(match cfg.encoding.as_str() {
            "cl100k_base" => Tokenizer::Bpe(tiktoken_rs::cl100k_base_singleton),
            "o200k_base" => Tokenizer::Bpe(tiktoken_rs::o200k_base_singleton),
            "r50k_base" => Tokenizer::Bpe(tiktoken_rs::r50k_base_singleton),
            "p50k_base" => Tokenizer::Bpe(tiktoken_rs::p50k_base_singleton),
            "none" => Tokenizer::None,
            other => bail!(
                "`tokenizer.encoding: {other}` is unknown: allowed cl100k_base, o200k_base, r50k_base, p50k_base, none"
            ),
        })
    }

    pub fn count(&self, text: &str) -> usize {
        match self {
            // Special-token strings in web text are plain text, never control tokens.
            Tokenizer::Bpe(bpe) => bpe().count_ordinary(text),
            // No special tokens: we count the document's own tokens.
            Tokenizer::Hf(t) => t.encode_fast(text, false).map_or(0, |e| e.len()),
            Tokenizer::None => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_tokens_offline_for_both_languages() {
        let t = Tokenizer::new(&TokenizerConfig::default()).unwrap();
        assert!(t.count("Hello world, this is a test.") >= 6);
        let zh = t.count("自然语言处理是人工智能的一个重要方向。");
        assert!(zh >= 10, "{zh}");
        assert_eq!(t.count(""), 0);
        assert_eq!(
            t.count("<|endoftext|>") > 1,
            true,
            "special tokens are text"
        );
        assert!(
            Tokenizer::new(&TokenizerConfig {
                encoding: "gpt5".into(),
                hf_json: None
            })
            .is_err()
        );
    }

    #[test]
    fn loads_a_local_hf_tokenizer_json() {
        let dir = std::env::temp_dir().join(format!("skypile-hf-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("tokenizer.json");
        std::fs::write(
            &p,
            r#"{"version":"1.0","truncation":null,"padding":null,"added_tokens":[],"normalizer":null,
               "pre_tokenizer":{"type":"Whitespace"},"post_processor":null,"decoder":null,
               "model":{"type":"WordLevel","vocab":{"[UNK]":0,"hello":1,"world":2},"unk_token":"[UNK]"}}"#,
        )
        .unwrap();
        let cfg = TokenizerConfig {
            encoding: "cl100k_base".into(),
            hf_json: Some(p.to_string_lossy().into()),
        };
        let t = Tokenizer::new(&cfg).unwrap();
        assert_eq!(t.count("hello world again"), 3);
        let bad = TokenizerConfig {
            hf_json: Some("/nonexistent/tokenizer.json".into()),
            ..cfg
        };
        assert!(
            Tokenizer::new(&bad)
                .err()
                .unwrap()
                .to_string()
                .contains("/nonexistent/tokenizer.json")
        );
    }
}
