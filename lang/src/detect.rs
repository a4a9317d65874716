//! Document language identification: Unicode script ratios first, whatlang trigrams second.
//!
//! Why not whatlang alone: it calls kanji-heavy Japanese `cmn`, decides the script of a mixed
//! page by raw character count (so 300 Han characters lose to 400 Latin letters of menu and
//! code), and its cost grows with the document. So:
//!
//! 1. Count characters by script over the text (a cheap pass; a long text is sampled, see
//!    [`detect`]). CJK characters weigh 3, other letters 1: a Han character carries about as
//!    much text as three Latin letters (≈1.5 Han characters vs ≈5 letters per word, and 3 vs 1
//!    UTF-8 bytes), so a page gets the language of the *majority of its text*, not of its
//!    character count.
//! 2. CJK majority: Hangul → `ko`; Han with a real share of kana (Japanese writes its particles
//!    and inflections in hiragana, Chinese never does) → `ja`; otherwise `zh`. whatlang is not
//!    needed: its only answer for Han is `cmn`.
//! 3. Otherwise whatlang (trigram method) on a bounded sample (start + middle of the text).
//!
//! The score is whatlang's confidence (1.0 for one-language scripts) times the share of the
//! document written in the winning script group, so a half-English half-Chinese page scores
//! ~0.5 and a language filter threshold (FineWeb keeps fastText en ≥ 0.65) means what it says.
//! Text with no letters at all is labelled `und` with score 0.

use skypile_core::text::{ScriptCounts, is_han, is_hangul, is_kana};
use whatlang::{Lang, Script};

/// Weight of one CJK character relative to one alphabetic letter (see the module doc).
const CJK_WEIGHT: usize = 3;

/// Japanese prose is 30–60% kana; Chinese pages show at most a stray `の` or a katakana brand.
/// Below `KANA_JA` the page is Japanese only if it has hiragana other than `の`
/// (particles and inflections), which Chinese text never uses.
const KANA_JA: f64 = 0.12;
const HIRAGANA_JA: f64 = 0.03;

/// The label of one text.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// ISO 639-1 code (ISO 639-3 where none exists), `und` when the text has no letters.
    pub lang: &'static str,
    /// Confidence in 0..=1.
    pub score: f32,
    /// ISO 15924 code of the main script (`Hani`, `Jpan`, `Hang`, `Latn`, `Cyrl`, …; `Zyyy`
    /// when there are no letters).
    pub script: &'static str,
    /// Share of CJK characters (Han, kana, Hangul) among non-whitespace characters.
    pub cjk_share: f32,
}

impl Detection {
    fn undetermined(cjk_share: f32) -> Self {
        Detection {
            lang: "und",
            score: 0.0,
            script: "Zyyy",
            cjk_share,
        }
    }
}

/// Script counts and URL removal read at most this many `sample_bytes` of a long text: 12 KB
/// at the default 1 KB, which the chardet pages of `scripts/eval/lang.sh` need (English markup
/// around Chinese text: with 4 KB two of 23 zh pages became `en`), while whatlang's trigrams,
/// the costly part, are right on 1 KB (same labels there as on 3 KB, at 2/3 of the cost).
pub const SCAN_SAMPLES: usize = 12;

/// Label `text`; whatlang reads at most about `sample_bytes` of it, the script counts at most
/// [`SCAN_SAMPLES`] times that (0: all of it).
///
/// Bounded work per document: a long text is judged on a deterministic sample ([`spread`]:
/// equal windows evenly spaced over the text, so script shares stay those of the whole page),
/// and a 5 MB page costs what a 12 KB one does. Most web pages are shorter than that (median
/// ~3 KB of text): their label is unchanged.
pub fn detect(text: &str, sample_bytes: usize) -> Detection {
    detect_as(text, sample_bytes, true)
}

/// Script and CJK share only, for when a fastText model picks the language: the same scan as
/// [`detect`], but a non-CJK text gets whatlang's script vote instead of its trigram language
/// detection (most of `detect`'s cost); `lang` is `und` and `score` 0 unless the scripts decide
/// it (`zh`, `ja`, `ko`).
pub fn script_only(text: &str, sample_bytes: usize) -> Detection {
    detect_as(text, sample_bytes, false)
}

fn detect_as(text: &str, sample_bytes: usize, trigrams: bool) -> Detection {
    let scanned = spread(text, sample_bytes.saturating_mul(SCAN_SAMPLES));
    let text = &*without_urls(&scanned);
    let counts = ScriptCounts::of(text);
    let cjk = counts.han + counts.kana + counts.hangul;
    let cjk_share = counts.share(cjk) as f32;
    let other_letters = counts.latin + counts.cyrillic + counts.arabic + counts.other_alpha;
    let cjk_w = cjk * CJK_WEIGHT;
    let total_w = cjk_w + other_letters;
    if total_w == 0 {
        return Detection::undetermined(cjk_share);
    }
    if cjk_w >= other_letters {
        let share = |n: usize| (n * CJK_WEIGHT) as f32 / total_w as f32;
        if counts.hangul * 2 >= cjk {
            return Detection {
                lang: "ko",
                score: share(cjk),
                script: "Hang",
                cjk_share,
            };
        }
        if is_japanese(text, &counts) {
            return Detection {
                lang: "ja",
                score: share(counts.han + counts.kana),
                script: "Jpan",
                cjk_share,
            };
        }
        return Detection {
            lang: "zh",
            score: share(counts.han),
            script: "Hani",
            cjk_share,
        };
    }
    let mut sample = sample(text, sample_bytes);
    if cjk > 0 {
        // The CJK minority must not decide whatlang's script vote.
        sample = sample
            .chars()
            .filter(|&c| !is_cjk_letter(c))
            .collect::<String>()
            .into();
    }
    if !trigrams {
        return match whatlang::detect_script(&sample) {
            Some(script) => Detection {
                script: iso15924(script),
                ..Detection::undetermined(cjk_share)
            },
            None => Detection::undetermined(cjk_share),
        };
    }
    let Some(info) = whatlang::detect(&sample) else {
        return Detection::undetermined(cjk_share);
    };
    let lang = iso639_1(info.lang());
    // Unreachable after the filter above; kept so a whatlang change cannot mislabel CJK here.
    if matches!(
        info.script(),
        Script::Mandarin | Script::Hiragana | Script::Katakana | Script::Hangul
    ) {
        return Detection::undetermined(cjk_share);
    }
    let score = info.confidence() as f32 * other_letters as f32 / total_w as f32;
    Detection {
        lang,
        score,
        script: iso15924(info.script()),
        cjk_share,
    }
}

/// The text without URLs and e-mail addresses: their Latin letters say nothing about the
/// language, yet on link-heavy pages (feeds, directories, forum signatures) they outnumber it.
///
/// Linear in the text: each marker's next occurrence is searched once and reused until the
/// cursor passes it (searching all four from the cursor at every `@` was quadratic: 400 KB of
/// `"@ "` took 9 s). The searches are `memchr`'s SIMD ones: `str::find`'s two-way search, run
/// over up to 12 KB per marker, was ~7% of the `lang` step.
fn without_urls(text: &str) -> std::borrow::Cow<'_, str> {
    const MARKERS: [&str; 4] = ["http://", "https://", "www.", "@"];
    // Byte offsets of ASCII markers, so always char boundaries (what `str::find` returns).
    let find = |from: usize, m: &str| {
        memchr::memmem::find(&text.as_bytes()[from..], m.as_bytes()).map(|i| from + i)
    };
    let mut next = MARKERS.map(|m| find(0, m));
    if next.iter().all(Option::is_none) {
        return text.into();
    }
    let is_url_char = |c: char| {
        c.is_ascii_graphic()
            && !matches!(
                c,
                '<' | '>' | '"' | '\'' | '(' | ')' | '[' | ']' | '{' | '}'
            )
    };
    let is_mail_char =
        |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '%' | '+' | '-');
    let mut out = String::with_capacity(text.len());
    // `next`: absolute position of each marker's next occurrence at or after `pos` (None: no
    // more).
    let mut pos = 0;
    while pos < text.len() {
        for (m, at) in MARKERS.iter().zip(next.iter_mut()) {
            if at.is_some_and(|a| a < pos) {
                *at = find(pos, m);
            }
        }
        let Some(at) = next.iter().flatten().copied().min() else {
            out.push_str(&text[pos..]);
            break;
        };
        let (before, from) = (&text[pos..at], &text[at..]);
        if let Some(after) = from.strip_prefix('@') {
            // user@host.tld: drop the local part already copied, and the host.
            let host_len = after
                .find(|c: char| !is_mail_char(c))
                .unwrap_or(after.len());
            let host = &after[..host_len];
            let local_len = before.len() - before.trim_end_matches(is_mail_char).len();
            if local_len > 0 && host.contains('.') {
                out.push_str(&before[..before.len() - local_len]);
                pos = at + 1 + host_len;
            } else {
                out.push_str(before);
                out.push('@');
                pos = at + 1;
            }
            continue;
        }
        out.push_str(before);
        out.push(' ');
        pos = at + from.find(|c: char| !is_url_char(c)).unwrap_or(from.len());
    }
    out.into()
}

fn is_japanese(text: &str, counts: &ScriptCounts) -> bool {
    let han_kana = counts.han + counts.kana;
    if counts.kana == 0 || han_kana == 0 {
        return false;
    }
    let kana_ratio = counts.kana as f64 / han_kana as f64;
    if kana_ratio >= KANA_JA {
        return true;
    }
    // Only the cheap second pass for the rare borderline page.
    let hiragana = text
        .chars()
        .filter(|&c| is_kana(c) && ('\u{3041}'..='\u{309F}').contains(&c) && c != 'の')
        .count();
    hiragana as f64 / han_kana as f64 >= HIRAGANA_JA
}

/// The text whatlang sees: all of it when short, else two thirds from the start and one third
/// from the middle (pages often open with a title and navigation in another language).
fn sample(text: &str, budget: usize) -> std::borrow::Cow<'_, str> {
    if text.len() <= budget || budget == 0 {
        return text.into();
    }
    let head = floor_boundary(text, budget * 2 / 3);
    let mid_start = floor_boundary(text, text.len() / 2);
    let mid_end = floor_boundary(text, (mid_start + budget / 3).min(text.len()));
    let mut s = String::with_capacity(budget + 1);
    s.push_str(&text[..head]);
    s.push('\n');
    s.push_str(&text[mid_start.max(head)..mid_end.max(head)]);
    s.into()
}

/// Windows taken from a long text for the script counts.
const SCAN_WINDOWS: usize = 8;

/// At most `budget` bytes of `text`: all of it when short (or `budget` 0), else
/// [`SCAN_WINDOWS`] windows of equal size starting at evenly spaced offsets, joined by newlines.
fn spread(text: &str, budget: usize) -> std::borrow::Cow<'_, str> {
    if text.len() <= budget || budget == 0 {
        return text.into();
    }
    let window = budget / SCAN_WINDOWS;
    let mut s = String::with_capacity(budget + SCAN_WINDOWS);
    for i in 0..SCAN_WINDOWS {
        let start = floor_boundary(text, text.len() / SCAN_WINDOWS * i);
        let end = floor_boundary(text, start + window);
        s.push_str(&text[start..end]);
        s.push('\n');
    }
    s.into()
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Whether a character belongs to the CJK scripts this module decides without whatlang.
pub fn is_cjk_letter(c: char) -> bool {
    is_han(c) || is_kana(c) || is_hangul(c)
}

/// ISO 639-1 for every language whatlang knows (639-3 where 639-1 has no code).
pub fn iso639_1(lang: Lang) -> &'static str {
    use Lang::*;
    match lang {
        Epo => "eo",
        Eng => "en",
        Rus => "ru",
        Cmn => "zh",
        Spa => "es",
        Por => "pt",
        Ita => "it",
        Ben => "bn",
        Fra => "fr",
        Deu => "de",
        Ukr => "uk",
        Kat => "ka",
        Ara => "ar",
        Hin => "hi",
        Jpn => "ja",
        Heb => "he",
        Yid => "yi",
        Pol => "pl",
        Amh => "am",
        Jav => "jv",
        Kor => "ko",
        Nob => "nb",
        Dan => "da",
        Swe => "sv",
        Fin => "fi",
        Tur => "tr",
        Nld => "nl",
        Hun => "hu",
        Ces => "cs",
        Ell => "el",
        Bul => "bg",
        Bel => "be",
        Mar => "mr",
        Kan => "kn",
        Ron => "ro",
        Slv => "sl",
        Hrv => "hr",
        Srp => "sr",
        Mkd => "mk",
        Lit => "lt",
        Lav => "lv",
        Est => "et",
        Tam => "ta",
        Vie => "vi",
        Urd => "ur",
        Tha => "th",
        Guj => "gu",
        Uzb => "uz",
        Pan => "pa",
        Aze => "az",
        Ind => "id",
        Tel => "te",
        Pes => "fa",
        Mal => "ml",
        Ori => "or",
        Mya => "my",
        Nep => "ne",
        Sin => "si",
        Khm => "km",
        Tuk => "tk",
        Aka => "ak",
        Zul => "zu",
        Sna => "sn",
        Afr => "af",
        Lat => "la",
        Slk => "sk",
        Cat => "ca",
        Tgl => "tl",
        Hye => "hy",
        Cym => "cy",
    }
}

/// ISO 15924 code of a whatlang script.
pub fn iso15924(script: Script) -> &'static str {
    match script {
        Script::Arabic => "Arab",
        Script::Armenian => "Armn",
        Script::Bengali => "Beng",
        Script::Cyrillic => "Cyrl",
        Script::Devanagari => "Deva",
        Script::Ethiopic => "Ethi",
        Script::Georgian => "Geor",
        Script::Greek => "Grek",
        Script::Gujarati => "Gujr",
        Script::Gurmukhi => "Guru",
        Script::Hangul => "Hang",
        Script::Hebrew => "Hebr",
        Script::Hiragana | Script::Katakana => "Jpan",
        Script::Kannada => "Knda",
        Script::Khmer => "Khmr",
        Script::Latin => "Latn",
        Script::Malayalam => "Mlym",
        Script::Mandarin => "Hani",
        Script::Myanmar => "Mymr",
        Script::Oriya => "Orya",
        Script::Sinhala => "Sinh",
        Script::Tamil => "Taml",
        Script::Telugu => "Telu",
        Script::Thai => "Thai",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_with_kanji_is_not_chinese() {
        let ja = "日本国憲法は、日本の現行憲法であり、1947年に施行された。国民主権、基本的人権の尊重、平和主義を三大原則とする。";
        let d = detect(ja, 3000);
        assert_eq!((d.lang, d.script), ("ja", "Jpan"));
        assert!(d.cjk_share > 0.8);
    }

    #[test]
    fn chinese_with_a_stray_no_is_chinese() {
        let zh = "这家店的招牌写着「日本の味」，但是老板是北京人，他做的拉面在附近很有名，每天中午都有很多上班族排队购买。";
        let d = detect(zh, 3000);
        assert_eq!((d.lang, d.script), ("zh", "Hani"));
        assert!(d.score > 0.9, "{d:?}");
    }

    #[test]
    fn korean_and_cyrillic_and_latin() {
        assert_eq!(
            detect(
                "대한민국은 동아시아의 한반도 남부에 위치한 민주공화국이다. 수도는 서울특별시이다.",
                3000
            )
            .lang,
            "ko"
        );
        let ru = detect(
            "Москва — столица России, город федерального значения, административный центр Центрального федерального округа.",
            3000,
        );
        assert_eq!((ru.lang, ru.script), ("ru", "Cyrl"));
        let en = detect(
            "The quick brown fox jumps over the lazy dog while the farmer watches from the old wooden porch.",
            3000,
        );
        assert_eq!((en.lang, en.script), ("en", "Latn"));
    }

    #[test]
    fn mixed_page_gets_the_weighted_majority() {
        // 40 Han characters (weight 120) beat 70 Latin letters of English terms.
        let mixed = "我们使用 Rust programming language 编写了一个高性能的数据处理流水线，它可以读取 WARC files and Parquet outputs，并且支持中文分词和去重。";
        let d = detect(mixed, 3000);
        assert_eq!(d.lang, "zh");
        assert!(d.score < 0.95 && d.score > 0.5, "{d:?}");
        let en = "This long English paragraph explains how the pipeline reads web archives, extracts the main text, identifies the language, filters by quality and removes duplicates. 中文 appears once.";
        assert_eq!(detect(en, 3000).lang, "en");
    }

    #[test]
    fn urls_and_emails_do_not_vote() {
        let t = "请访问http://www.example.com/path?a=1&b=2了解更多，或者写信给 someone.name@example.org 联系我们。\
                 https://github.com/rust-lang/rust www.example.com/abc/def/ghi";
        let u = without_urls(t);
        assert!(!u.contains("example") && !u.contains("github"), "{u}");
        assert!(u.contains("请访问") && u.contains("了解更多") && u.contains("联系我们"));
        assert_eq!(detect(t, 3000).lang, "zh");
        assert_eq!(without_urls("a @ b and @handle"), "a @ b and @handle");
    }

    #[test]
    fn script_only_keeps_the_script_and_skips_the_language() {
        let ru = "Москва — столица России, город федерального значения.";
        let en = "The quick brown fox jumps over the lazy dog near the porch.";
        for (t, script) in [(ru, "Cyrl"), (en, "Latn")] {
            let (full, only) = (detect(t, 3000), script_only(t, 3000));
            assert_eq!((only.lang, only.script), ("und", script), "{t}");
            assert_eq!((full.script, full.cjk_share), (only.script, only.cjk_share));
        }
        let zh = script_only(
            "我们在北京大学学习自然语言处理，这是一个很有意思的研究方向。",
            3000,
        );
        assert_eq!((zh.lang, zh.script), ("zh", "Hani"));
    }

    #[test]
    fn no_letters_is_und() {
        for t in ["", "   ", "12345 !!! ... 2024-01-01", "。，！"] {
            let d = detect(t, 3000);
            assert_eq!((d.lang, d.score), ("und", 0.0), "{t:?}");
        }
    }

    #[test]
    fn sample_stays_on_char_boundaries() {
        let t = "中文字符".repeat(2000) + &"english words ".repeat(500);
        for budget in [1, 2, 3, 100, 1001, 3000] {
            let s = sample(&t, budget);
            assert!(s.len() <= budget + 1 || t.len() <= budget);
            let s = spread(&t, budget);
            assert!(s.len() <= budget + SCAN_WINDOWS || t.len() <= budget);
        }
    }

    #[test]
    fn long_texts_are_judged_on_windows_spread_over_them() {
        // 30 KB of English menus first, then 60 KB of Chinese: the majority is Chinese.
        let t = "Home News Sports Contact About Login ".repeat(800)
            + &"我们在北京大学学习自然语言处理，这是一个很有意思的研究方向。".repeat(700);
        assert!(t.len() > 4 * SCAN_SAMPLES * 1000);
        assert_eq!(detect(&t, 1000).lang, "zh");
        let s = spread(&t, SCAN_SAMPLES * 1000);
        assert!(
            s.contains("Home") && s.contains("北京"),
            "both parts are sampled"
        );
    }
}
