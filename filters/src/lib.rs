//! skypile-filters: quality, safety and PII filters (Gopher, C4, FineWeb, ChineseWebText-style
//! Chinese rules, keyword density, URL block lists, PII redaction). One file per step; shared
//! helpers for per-language thresholds, word lists and text statistics.

pub mod c4;
pub mod decontam;
pub mod fineweb;
pub mod gopher_quality;
pub mod gopher_repetition;
pub mod keywords;
pub mod pii;
pub mod thresholds;
pub mod url_filter;
pub mod util;
pub mod wordlist;
pub mod zh_quality;
