//! skypile-lang: language identification, Chinese script variants and text normalisation.
//!
//! Steps: `lang` ([`lang_id`]), `lang_filter`, `zh_variant`, `normalize`. Chinese word
//! segmentation itself lives in `skypile_core::text` (one jieba per process, shared by all
//! workers; `Doc::words()` caches it per doc); the `lang` step sets the label it depends on.

pub mod detect;
pub mod lang_filter;
pub mod lang_id;
pub mod normalize;
pub mod zh_variant;

pub use detect::{Detection, detect};
pub use lang_filter::{LangFilter, LangFilterConfig};
pub use lang_id::{LangConfig, LangId};
pub use normalize::{Normalize, NormalizeConfig};
pub use zh_variant::{ZhVariant, ZhVariantConfig};
