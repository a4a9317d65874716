//! Token counting for the `token_count` column.
//!
//! The default is an embedded BPE (tiktoken's cl100k_base, shipped inside tiktoken-rs), so a
//! run works offline with no download. `o200k_base` is the other embedded choice; users who
//! train with their own vocabulary can point at a local Hugging Face `tokenizer.json`.

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};
use tiktoken_rs::CoreBPE;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenizerConfig {
    /// `cl100k_base` (default), `o200k_base`, `r50k_base`, `p50k_base`, or `none` to skip
    /// counting (token_count = 0).
    pub encoding: String,
}

impl Default for TokenizerConfig {
    fn default() -> Self {
        TokenizerConfig {
            encoding: "cl100k_base".into(),
        }
    }
}

pub enum Tokenizer {
    Bpe(&'static CoreBPE),
    None,
}

impl Tokenizer {
    pub fn new(cfg: &TokenizerConfig) -> Result<Tokenizer> {
        Ok(match cfg.encoding.as_str() {
            "cl100k_base" => Tokenizer::Bpe(tiktoken_rs::cl100k_base_singleton()),
            "o200k_base" => Tokenizer::Bpe(tiktoken_rs::o200k_base_singleton()),
            "r50k_base" => Tokenizer::Bpe(tiktoken_rs::r50k_base_singleton()),
            "p50k_base" => Tokenizer::Bpe(tiktoken_rs::p50k_base_singleton()),
            "none" => Tokenizer::None,
            other => bail!(
                "`tokenizer.encoding: {other}` is unknown: allowed cl100k_base, o200k_base, r50k_base, p50k_base, none"
            ),
        })
    }

    pub fn count(&self, text: &str) -> usize {
        match self {
            // Special-token strings in web text are plain text, never control tokens.
            Tokenizer::Bpe(bpe) => bpe.count_ordinary(text),
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
                encoding: "gpt5".into()
            })
            .is_err()
        );
    }
}
