//! What a document looks like to a classifier: one line of space-separated tokens.
//!
//! - `words` (the default for models trained by `skypile train classifier`): the doc's own
//!   word view ([`Doc::words`]: jieba words for Chinese, UAX #29 words otherwise), lower-cased,
//!   at most `max_words` of them so per-doc work is bounded. Training uses the same function,
//!   so a model sees at scoring time exactly the tokens it was trained on.
//! - `whitespace`: the raw text with line breaks as spaces, case kept, as FineWeb/DCLM feed
//!   `lid.176` and their fastText classifiers; cut at `max_words` whitespace tokens.

use serde::{Deserialize, Serialize};
use skypile_core::Doc;

/// How a doc becomes the token line a model scores.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Tokens {
    #[default]
    Words,
    Whitespace,
}

/// The token line of a doc (no trailing newline; fastText's `</s>` is added by the model).
pub fn doc_line(doc: &Doc, tokens: Tokens, max_words: usize) -> String {
    let mut line = String::with_capacity(doc.text().len().min(max_words * 8));
    match tokens {
        Tokens::Words => {
            for w in doc.words().take(max_words) {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.extend(w.chars().flat_map(char::to_lowercase));
            }
        }
        Tokens::Whitespace => {
            let text = doc.text();
            // the byte offset where token max_words + 1 starts, if any (tokens are subslices)
            let cut = crate::dict::whitespace_tokens(text)
                .nth(max_words)
                .map_or(text.len(), |t| t.as_ptr() as usize - text.as_ptr() as usize);
            line.push_str(&text[..cut]);
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_jieba_for_chinese_and_lowercased_whitespace_keeps_the_text() {
        let mut zh = Doc::from_text("z", "我们在北京大学学习自然语言处理。");
        zh.set_lang("zh", 1.0);
        let line = doc_line(&zh, Tokens::Words, 100);
        assert!(line.contains("北京大学"), "{line}");
        assert!(!line.contains('。'), "{line}");
        let en = Doc::from_text("e", "The Quick, brown fox.\nJumps!");
        assert_eq!(
            doc_line(&en, Tokens::Words, 100),
            "the quick brown fox jumps"
        );
        assert_eq!(doc_line(&en, Tokens::Words, 2), "the quick");
        assert_eq!(
            doc_line(&en, Tokens::Whitespace, 100),
            "The Quick, brown fox.\nJumps!"
        );
        assert_eq!(doc_line(&en, Tokens::Whitespace, 2), "The Quick, ");
    }
}
