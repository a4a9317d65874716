//! The vendored whatlang's fast code (`vendor/whatlang/src/{trigrams,alphabets,scripts}/fast.rs`,
//! `combined::merge_fast`) gives upstream's outcome bit for bit: same language, script and
//! confidence bits from `detect`, the same script from `detect_script`, and the same ranked
//! (language, distance, score) lists, so even equal distances come out in upstream's order. Compared on the shared language-ID texts (skipped without
//! `../shared/data`, a failure under `SKYPILE_REQUIRE_DATA=1`) and on seeded random text.

#[path = "../examples/common/corpus.rs"]
mod corpus;

use skypile_lang::detect::is_cjk_letter;
use whatlang::reference::{self, TrigramOutcome};

/// What the cases exercised: so a pass means the hard paths were compared, not skipped.
#[derive(Default, Debug)]
struct Seen {
    texts: usize,
    /// Outcomes with two languages at the same distance (their order is the sort's).
    tied_distances: usize,
    /// Outcomes with the distance at its clamp (90,000) on ≥ 300 text trigrams.
    at_clamp: usize,
    /// Texts with more than 600 distinct trigrams (the top-600 selection).
    over_600: usize,
    /// `detect` answers where the top two combined scores tie (not observable directly:
    /// counted as confidence 0 with a second language present).
    zero_confidence: usize,
}

/// Fast and reference agree on `text`; panics with the text otherwise.
fn check(text: &str, seen: &mut Seen) {
    seen.texts += 1;
    let (fast, slow) = (whatlang::detect(text), reference::detect(text));
    let key = |i: &Option<whatlang::Info>| {
        i.as_ref()
            .map(|i| (i.lang(), i.script(), i.confidence().to_bits()))
    };
    assert_eq!(key(&fast), key(&slow), "detect differs on {text:?}");
    let script = whatlang::detect_script(text);
    assert_eq!(script, reference::detect_script(text), "script of {text:?}");
    let (f, r) = (
        reference::trigram_outcome(text, true),
        reference::trigram_outcome(text, false),
    );
    assert_eq!(bits(&f), bits(&r), "trigram outcome differs on {text:?}");
    if let Some(o) = r {
        seen.tied_distances += o.distances.windows(2).any(|w| w[0].1 == w[1].1) as usize;
        let clamped = o.distances.iter().any(|&(_, d)| d == 90_000);
        seen.at_clamp += (clamped && o.trigrams_count >= 300) as usize;
        seen.over_600 += (o.trigrams_count == 600) as usize;
    }
    seen.zero_confidence += slow.is_some_and(|i| i.confidence() == 0.0) as usize;
}

/// Trigrams ranked, then (language, distance, score bits) in the outcome's order.
type OutcomeBits = (usize, Vec<(whatlang::Lang, u32, u64)>);

/// An outcome with its scores as bits (NaN-safe, and -0.0 ≠ 0.0).
fn bits(o: &Option<TrigramOutcome>) -> Option<OutcomeBits> {
    o.as_ref().map(|o| {
        let rows = o.distances.iter().zip(&o.scores);
        let rows = rows.map(|(&(l, d), &(l2, s))| {
            assert_eq!(l, l2, "distances and scores in one order");
            (l, d, s.to_bits())
        });
        (o.trigrams_count, rows.collect())
    })
}

/// Every prefix length `detect`'s callers produce, short to long, plus the text without its
/// CJK letters (what `skypile_lang::detect` hands whatlang on a mixed page).
fn check_variants(text: &str, seen: &mut Seen) {
    for n in [12, 40, 150, 400, 1000, 3000] {
        let end = (0..=n.min(text.len()))
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        check(&text[..end], seen);
        if end == text.len() {
            break;
        }
    }
    if text.chars().any(is_cjk_letter) {
        let rest: String = text.chars().filter(|&c| !is_cjk_letter(c)).collect();
        check(&rest, seen);
    }
}

#[test]
fn fast_scorer_equals_upstream_on_shared_texts() {
    let Some(data) = skypile_core::testdata::shared_data() else {
        return;
    };
    let mut seen = Seen::default();
    let docs = [
        corpus::lingua_docs(&data, 200),
        corpus::zh_real_docs(&data, 200),
        corpus::en_real_docs(&data, 200),
        corpus::charset_docs(&data, 200),
        corpus::whatlang_examples(&data),
    ]
    .concat();
    for d in &docs {
        check_variants(&d.text, &mut seen);
    }
    // Single sentences, words and word pairs: short texts, where ties are common.
    for kind in ["sentences", "single-words", "word-pairs"] {
        for lang in corpus::LINGUA_LANGS {
            let p = data.join(format!("langid/lingua-testdata/{kind}/{lang}.txt"));
            for line in std::fs::read_to_string(p).unwrap_or_default().lines() {
                check(line, &mut seen);
            }
        }
    }
    println!("{} docs; {seen:?}", docs.len());
    assert!(docs.len() > 1000 && seen.texts > 40_000, "{seen:?}");
    assert!(seen.tied_distances > 100 && seen.over_600 > 30, "{seen:?}");
}

/// xorshift64*: a fixed stream, so a failure names a reproducible text.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

/// Character pools: the scripts whatlang scores by trigrams, Latin with diacritics, CJK (a
/// different main script, or a minority), digits, punctuation and stop characters, Greek
/// and chars beyond 16 bits (the trigram ranking's wide sort keys).
const POOLS: [&str; 10] = [
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿąćęłńśźżčďěňřšťůžőűăşţğışəạảấầẩẫậặẹẻếềệịọỏốồộớờợụủứừựỳỵŵẁẃẅɔɛʻ\u{307}·¡¿ÄÖÜẞ\u{7f}",
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЭЮЯєіїґўђјљњћџ",
    "ابتثجحخدذرزسشصضطظعغفقكلمنهويپچژکگی",
    "अआइईउऊएऐओऔकखगघचछजझटठडढणतथदधनपफबभमयरलवशषसहािीुूेैोौं्",
    "אבגדהוזחטיכלמנסעפצקרשתםןףץך",
    "的一是不了人我在有他这中大来上个国到说们为子和你地出道也时年",
    "0123456789",
    " .,;:!?-()\"'[]{}@#%&*/\\|~`^_+=<>\n\t",
    "ΑαΒβΓγΔδΕεΣσςΩω😀𝐀𐍈\u{FFFF}",
];

/// A random text: words drawn from one or two pools, sometimes one syllable repeated (many
/// equal trigram counts and distances), lengths from 1 to ~1,500 characters.
fn random_text(rng: &mut Rng) -> String {
    let pools: Vec<Vec<char>> = POOLS.iter().map(|p| p.chars().collect()).collect();
    let main = rng.below(6);
    let other = rng.below(POOLS.len());
    let len = match rng.below(4) {
        0 => 1 + rng.below(12),
        1 => 1 + rng.below(120),
        _ => 1 + rng.below(1500),
    };
    let syllable: String = (0..1 + rng.below(4))
        .map(|_| pools[main][rng.below(pools[main].len())])
        .collect();
    let repeat = rng.below(4) == 0;
    let mut s = String::new();
    while s.chars().count() < len {
        if repeat && rng.below(3) > 0 {
            s.push_str(&syllable);
        } else {
            let p = if rng.below(5) == 0 { other } else { main };
            for _ in 0..1 + rng.below(8) {
                s.push(pools[p][rng.below(pools[p].len())]);
            }
        }
        s.push_str(rng.pick(&[" ", " ", " ", ", ", ". ", "\n", "-"]));
    }
    s
}

#[test]
fn fast_scorer_equals_upstream_on_random_mixed_scripts() {
    let mut rng = Rng(0x5EED_1A96);
    let mut seen = Seen::default();
    for i in 0..6000 {
        check(&random_text(&mut rng), &mut seen);
        if i % 1000 == 0 {
            // a long text (beyond the buffers the fast scorer keeps between texts) before
            // the next short ones
            let long: Vec<String> = (0..60).map(|_| random_text(&mut rng)).collect();
            check(&long.concat(), &mut seen);
        }
    }
    // Real words shuffled: Latin-script texts close to several profiles at once.
    let words = [
        "the", "and", "der", "die", "und", "les", "des", "que", "los", "para", "com", "não", "che",
        "della", "een", "het", "och", "att", "ja", "että", "és", "się", "že", "şi", "và", "của",
        "yang", "dan", "bir", "ve", "và", "ng", "sa", "na", "kwa", "ya",
    ];
    for _ in 0..3000 {
        let n = 1 + rng.below(400);
        let t: Vec<&str> = (0..n).map(|_| rng.pick(&words)).collect();
        check(&t.join(" "), &mut seen);
    }
    println!("{seen:?}");
    assert!(seen.tied_distances > 500, "{seen:?}");
    assert!(seen.at_clamp > 50 && seen.over_600 > 50, "{seen:?}");
    assert!(seen.zero_confidence > 50, "{seen:?}");
}
