//! skypile: whatlang 0.18.0's own code beside the fast one (`trigrams::fast`,
//! `alphabets::fast`, `scripts::fast`, `combined::merge_fast`), so tests can prove that the two
//! give the same labels, confidences, raw trigram outcomes and script counts.

use crate::combined::Engine;
use crate::core::detect::detect_by_query_with;
use crate::core::{FilterList, Info, Method, Query};
use crate::scripts::grouping::ScriptLangGroup;
use crate::scripts::raw_detect_script;
use crate::{Lang, Script, trigrams};

/// [`crate::detect`] as upstream computes it (default options), 300 hash lookups per language.
pub fn detect(text: &str) -> Option<Info> {
    detect_by_query_with(&default_query(text), Engine::Upstream)
}

/// [`crate::detect_script`] as upstream computes it.
pub fn detect_script(text: &str) -> Option<Script> {
    raw_detect_script(text).main_script()
}

/// The trigram method's raw outcome for the text's main script when that script has several
/// languages (`None` otherwise), by upstream's scorer or (`fast`) by the one `detect` uses.
pub fn trigram_outcome(text: &str, fast: bool) -> Option<TrigramOutcome> {
    let script = raw_detect_script(text).main_script()?;
    let ScriptLangGroup::Multi(multi_lang_script) = script.to_lang_group() else {
        return None;
    };
    let iquery = default_query(text).to_internal(multi_lang_script);
    let raw = if fast {
        trigrams::raw_detect(&iquery)
    } else {
        trigrams::reference::raw_detect(&iquery)
    };
    Some(TrigramOutcome {
        trigrams_count: raw.trigrams_count,
        distances: raw.raw_distances,
        scores: raw.scores,
    })
}

/// One scorer's outcome: languages by increasing distance, as the combined method reads them.
#[derive(Debug, Clone, PartialEq)]
pub struct TrigramOutcome {
    /// Distinct trigrams of the text that were ranked (at most 600).
    pub trigrams_count: usize,
    /// (language, distance to its profile), in the scorer's order.
    pub distances: Vec<(Lang, u32)>,
    /// (language, score), same order.
    pub scores: Vec<(Lang, f64)>,
}

fn default_query(text: &str) -> Query<'_, 'static> {
    static ALL: FilterList = FilterList::All;
    Query {
        text,
        filter_list: &ALL,
        method: Method::Combined,
    }
}
