//! What a document looks like to a classifier: one line of space-separated tokens.
//!
//! - `words` (the default for models trained by `skypile train classifier`): the doc's own
//!   word view ([`Doc::words`]: jieba words for Chinese, UAX #29 words otherwise), lower-cased,
//!   at most `max_words` of them so per-doc work is bounded. Training uses the same function,
//!   so a model sees at scoring time exactly the tokens it was trained on.
//! - `whitespace`: the raw text with line breaks as spaces, as FineWeb/DCLM feed `lid.176` and
//!   their fastText classifiers; cut at `max_words` whitespace tokens.

use serde::{Deserialize, Serialize};
use skypile_core::Doc;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tokens {
    #[default]
    Words,
    Whitespace,
}

/// The token line of a doc (no trailing newline; fastText's `</s>` is added by the model).
pub fn doc_line(doc: &Doc, tokens: Tokens, max_words: usize) -> String {
    let mut line = String::with_capacity(doc.text().len().min(max_words * 8));
    let mut push = |w: &str| {
        if !line.is_empty() {
            line.push(' ');
        }
        line.extend(w.chars().flat_map(char::to_lowercase));
    };
    match tokens {
        Tokens::Words => doc.words().take(max_words).for_each(&mut push),
        Tokens::Whitespace => {
            crate::dict::whitespace_tokens(doc.text())
                .take(max_words)
                .for_each(|t| push(&String::from_utf8_lossy(t)));
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_docs_become_jieba_words_and_english_lowercase_words() {
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
            "the quick, brown fox. jumps!"
        );
    }
}
