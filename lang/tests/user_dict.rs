//! The `lang` step's `jieba_user_dict` reaches the process-wide segmenter (own test binary:
//! the segmenter is global and the first dictionary wins).

use skypile_core::{Counters, Doc, Step};
use skypile_lang::LangConfig;

#[test]
fn user_dictionary_words_stay_whole() {
    let text = "我们正在测试天枢星图数据管线的分词效果。";
    // Without the dictionary jieba cuts this as 天枢 / 星图. No segmentation may run before
    // the step is built: the first use fixes the process-wide dictionary.
    let dir = std::env::temp_dir().join(format!("skypile-lang-dict-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let dict = dir.join("user.dict");
    std::fs::write(&dict, "天枢星图 100000 n\n").unwrap();
    // Relative path resolved by the runner's BuildCtx::resolve: here, against `dir`.
    let step = LangConfig {
        jieba_user_dict: Some("user.dict".into()),
        ..Default::default()
    }
    .build(|p| dir.join(p))
    .unwrap();
    let mut doc = Doc::from_text("d", text);
    step.process(&mut doc, &mut Counters::default());
    assert!(doc.is_zh());
    assert!(
        doc.words().any(|w| w == "天枢星图"),
        "{:?}",
        doc.words().collect::<Vec<_>>()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
