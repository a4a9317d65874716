//! Word lists shipped in `filters/data/` (one entry per line, `#` comments) and user lists, and
//! one Aho-Corasick matcher over several categories of them.

use std::path::{Path, PathBuf};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use anyhow::{Context, Result};

/// Entries of a list file: trimmed, lower-cased, without blank lines and `#` comments.
pub fn parse_list(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_lowercase)
        .collect()
}

/// Read a user list file (UTF-8), naming the file in the error.
pub fn read_list(path: &Path) -> Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("word list {}", path.display()))?;
    Ok(parse_list(&text))
}

/// Resolves a config path (relative to the pipeline YAML); given by the step registry.
pub type Resolve<'a> = &'a dyn Fn(&str) -> PathBuf;

/// Identity resolver for tests and examples.
pub fn resolve_as_is(p: &str) -> PathBuf {
    PathBuf::from(p)
}

/// A multi-category keyword matcher. ASCII-alphanumeric keywords only match at word
/// boundaries (so `sex` does not fire inside `Sussex`); CJK keywords match anywhere, since
/// Chinese has no spaces.
pub struct Keywords {
    ac: Option<AhoCorasick>,
    /// Per pattern: (category index, needs word boundary).
    meta: Vec<(usize, bool)>,
}

impl Keywords {
    /// `lists[i]` are the entries of category `i`.
    pub fn new(lists: &[Vec<String>]) -> Result<Self> {
        Self::build(lists, true)
    }

    /// One category, every entry matched as a plain substring (URL parts, host names).
    pub fn new_substrings(list: &[String]) -> Result<Self> {
        Self::build(std::slice::from_ref(&list.to_vec()), false)
    }

    fn build(lists: &[Vec<String>], ascii_boundaries: bool) -> Result<Self> {
        let mut pats = Vec::new();
        let mut meta = Vec::new();
        for (cat, list) in lists.iter().enumerate() {
            for w in list {
                let ascii = ascii_boundaries
                    && w.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
                    || ascii_boundaries
                        && w.bytes().last().is_some_and(|b| b.is_ascii_alphanumeric());
                pats.push(w.as_str());
                meta.push((cat, ascii));
            }
        }
        let ac = if pats.is_empty() {
            None
        } else {
            Some(
                AhoCorasickBuilder::new()
                    .ascii_case_insensitive(true)
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&pats)
                    .context("building keyword matcher")?,
            )
        };
        Ok(Keywords { ac, meta })
    }

    /// Calls `f(category, byte_start)` for every non-overlapping keyword hit.
    pub fn for_each_hit(&self, text: &str, mut f: impl FnMut(usize, usize)) {
        let Some(ac) = &self.ac else { return };
        let b = text.as_bytes();
        for m in ac.find_iter(text) {
            let Some(&(cat, boundary)) = self.meta.get(m.pattern().as_usize()) else {
                continue;
            };
            if boundary {
                let before = m
                    .start()
                    .checked_sub(1)
                    .and_then(|i| b.get(i))
                    .is_some_and(|c| c.is_ascii_alphanumeric());
                let after = b.get(m.end()).is_some_and(|c| c.is_ascii_alphanumeric());
                if before || after {
                    continue;
                }
            }
            f(cat, m.start());
        }
    }

    /// Hits per category.
    pub fn count(&self, text: &str, n_cats: usize) -> Vec<usize> {
        let mut out = vec![0; n_cats];
        self.for_each_hit(text, |c, _| {
            if let Some(v) = out.get_mut(c) {
                *v += 1;
            }
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_skip_comments_and_lowercase() {
        assert_eq!(
            parse_list("# c\n\n Casino \n博彩\n"),
            vec!["casino", "博彩"]
        );
    }

    #[test]
    fn ascii_keywords_need_boundaries_cjk_do_not() {
        let k = Keywords::new(&[vec!["sex".into(), "博彩".into()], vec!["casino".into()]]).unwrap();
        assert_eq!(
            k.count("Sussex sex SEX-shop 澳门博彩网 casinos Casino", 2),
            vec![3, 1]
        );
    }
}
