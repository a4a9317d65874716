//! URL block-list filter, after RefinedWeb (Penedo et al. 2023, §G.1) and datatrove
//! `URLFilter`: a domain block list (a domain blocks its subdomains), hard-banned URL tokens,
//! soft-banned tokens that block from 2 hits on, and banned substrings (also CJK, matched after
//! percent-decoding so `/%E5%8D%9A%E5%BD%A9/` counts as 博彩). Lists ship in `filters/data/url_*`
//! and are written for skypile; `extra_domains_file` / `extra_words_file` extend them. URLs are
//! language-independent, so there are no per-language thresholds. Docs without URL pass.

use std::borrow::Cow;

use anyhow::Result;
use percent_encoding::percent_decode_str;
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};
use skypile_core::{ColType, Column, Counters, Doc, Step, Verdict};

use crate::util::Scores;
use crate::wordlist::{Keywords, Resolve, parse_list, read_list};

/// Drops docs whose URL is on a block list or carries banned words (RefinedWeb).
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct UrlFilterConfig {
    pub keep_scores: bool,
    pub builtin_lists: bool,
    /// Extra blocked domains, one per line.
    pub extra_domains_file: Option<String>,
    /// Extra hard-banned URL words, one per line (CJK entries act as substrings).
    pub extra_words_file: Option<String>,
    pub soft_word_threshold: usize,
}

impl Default for UrlFilterConfig {
    fn default() -> Self {
        UrlFilterConfig {
            keep_scores: true,
            builtin_lists: true,
            extra_domains_file: None,
            extra_words_file: None,
            soft_word_threshold: 2,
        }
    }
}

pub struct UrlFilter {
    cfg: UrlFilterConfig,
    domains: FxHashSet<String>,
    words: FxHashSet<String>,
    soft: FxHashSet<String>,
    subwords: Keywords,
}

/// Lower-cased host without userinfo, port and a leading `www.`.
fn host(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let h = if hostport.starts_with('[') {
        hostport
    } else {
        hostport.split(':').next().unwrap_or("")
    };
    let h = h.trim_end_matches('.').to_lowercase();
    h.strip_prefix("www.").map(str::to_string).unwrap_or(h)
}

impl UrlFilter {
    pub fn new(cfg: UrlFilterConfig, resolve: Resolve) -> Result<Self> {
        let builtin = |t: &str| {
            if cfg.builtin_lists {
                parse_list(t)
            } else {
                Vec::new()
            }
        };
        let mut domains: FxHashSet<String> = builtin(include_str!("../data/url_domains.txt"))
            .into_iter()
            .collect();
        if let Some(p) = &cfg.extra_domains_file {
            domains.extend(read_list(&resolve(p))?.into_iter().map(|d| host(&d)));
        }
        let mut words: FxHashSet<String> = builtin(include_str!("../data/url_words.txt"))
            .into_iter()
            .collect();
        let mut subwords = builtin(include_str!("../data/url_subwords.txt"));
        if let Some(p) = &cfg.extra_words_file {
            for w in read_list(&resolve(p))? {
                // A CJK word is never a whole token of a URL split on non-alphanumerics.
                if w.chars().all(|c| c.is_ascii_alphanumeric()) {
                    words.insert(w)
                } else {
                    subwords.push(w);
                    true
                };
            }
        }
        let soft = builtin(include_str!("../data/url_soft_words.txt"))
            .into_iter()
            .collect();
        // Substrings match anywhere: one category, no word-boundary rule wanted for ASCII here.
        let subwords = Keywords::new_substrings(&subwords)?;
        Ok(UrlFilter {
            cfg,
            domains,
            words,
            soft,
            subwords,
        })
    }

    fn verdict(&self, url: &str) -> (Option<(&'static str, String)>, usize) {
        let h = host(url);
        let mut d = h.as_str();
        loop {
            if self.domains.contains(d) {
                return (Some(("url_blocked_domain", d.to_string())), 0);
            }
            match d.split_once('.') {
                Some((_, parent)) if parent.contains('.') => d = parent,
                _ => break,
            }
        }
        let decoded: Cow<str> = percent_decode_str(url).decode_utf8_lossy();
        let lower = decoded.to_lowercase();
        let mut soft = 0;
        for tok in lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
        {
            if self.words.contains(tok) {
                return (Some(("url_banned_word", tok.to_string())), 0);
            }
            soft += self.soft.contains(tok) as usize;
        }
        let mut sub: Option<usize> = None;
        self.subwords.for_each_hit(&lower, |_, start| {
            sub.get_or_insert(start);
        });
        if let Some(start) = sub {
            let hit: String = lower.get(start..).unwrap_or("").chars().take(12).collect();
            return (Some(("url_banned_subword", hit)), soft);
        }
        if soft >= self.cfg.soft_word_threshold {
            return (Some(("url_soft_banned_words", String::new())), soft);
        }
        (None, soft)
    }
}

impl Step for UrlFilter {
    fn name(&self) -> &str {
        "url_filter"
    }

    fn columns(&self) -> Vec<Column> {
        vec![
            Column::new("url_soft_word_hits", ColType::Int64),
            Column::new("url_block_match", ColType::Utf8),
        ]
    }

    fn process(&self, doc: &mut Doc, _stats: &mut Counters) -> Verdict {
        let Some(url) = doc.url.as_deref() else {
            return Verdict::Keep;
        };
        let (hit, soft) = self.verdict(url);
        let mut sc = Scores {
            doc,
            keep: self.cfg.keep_scores,
        };
        sc.set("url_soft_word_hits", soft);
        match hit {
            Some((reason, what)) => {
                if !what.is_empty() {
                    sc.set("url_block_match", what);
                }
                Verdict::drop(reason)
            }
            None => Verdict::Keep,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wordlist::resolve_as_is;

    fn check(url: &str) -> Verdict {
        let f = UrlFilter::new(UrlFilterConfig::default(), &resolve_as_is).unwrap();
        let mut d = Doc::from_text("t", "x");
        d.url = Some(url.into());
        f.process(&mut d, &mut Counters::default())
    }

    #[test]
    fn hosts_are_normalised() {
        assert_eq!(host("https://user@WWW.Example.COM:8080/a?b"), "example.com");
        assert_eq!(host("example.org"), "example.org");
    }

    #[test]
    fn blocks_domains_words_subwords_and_soft_pairs() {
        assert_eq!(
            check("https://cn.pornhub.com/view"),
            Verdict::drop("url_blocked_domain")
        );
        assert_eq!(
            check("http://best-casino.example/"),
            Verdict::drop("url_banned_word")
        );
        assert_eq!(
            check("http://a.cn/%E5%8D%9A%E5%BD%A9/1.html"),
            Verdict::drop("url_banned_subword")
        );
        assert_eq!(
            check("http://bocai.example.cn/x"),
            Verdict::drop("url_banned_word")
        );
        assert_eq!(
            check("http://x.com/sexy-girls"),
            Verdict::drop("url_soft_banned_words")
        );
    }

    #[test]
    fn keeps_ordinary_urls() {
        for u in [
            "https://www.sussex.ac.uk/news",
            "http://news.sina.com.cn/c/2021/casual.html",
            "https://en.wikipedia.org/wiki/Essex",
            "http://x.com/girls-school",
        ] {
            assert_eq!(check(u), Verdict::Keep, "{u}");
        }
    }

    #[test]
    fn extra_domains_extend_the_list() {
        let dir = std::env::temp_dir().join(format!("skypile-url-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("d.txt");
        std::fs::write(&p, "spam.example\n").unwrap();
        let cfg = UrlFilterConfig {
            extra_domains_file: p.to_str().map(String::from),
            ..Default::default()
        };
        let f = UrlFilter::new(cfg, &resolve_as_is).unwrap();
        let mut d = Doc::from_text("t", "x");
        d.url = Some("http://a.spam.example/".into());
        assert_eq!(
            f.process(&mut d, &mut Counters::default()),
            Verdict::drop("url_blocked_domain")
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
