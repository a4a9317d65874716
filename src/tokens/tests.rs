//! Tests of the token counter: identity with tiktoken-rs on edge cases and on the shared
//! texts (data tier), exact published cl100k counts, and the `hf-tokenizer` feature switch.

use super::*;
use pretok::Scan;
use std::io::Read;

fn cl100k() -> Tokenizer {
    Tokenizer::new(&TokenizerConfig::default()).unwrap()
}

#[test]
fn counts_tokens_offline_for_both_languages() {
    let t = cl100k();
    assert!(t.count("Hello world, this is a test.") >= 6);
    let zh = t.count("自然语言处理是人工智能的一个重要方向。");
    assert!(zh >= 10, "{zh}");
    assert_eq!(t.count(""), 0);
    assert!(t.count("<|endoftext|>") > 1, "special tokens are text");
    let bad = TokenizerConfig {
        encoding: "gpt5".into(),
        hf_json: None,
    };
    assert!(Tokenizer::new(&bad).is_err());
}

/// build.rs's tables hold exactly tiktoken-rs's ordinary tokens: every rank's bytes as its
/// `decode_bytes` gives them, no special token, and no rank missing up to the largest.
#[test]
fn vocab_equals_tiktoken() {
    let tables: [&'static [u8]; 4] = [
        vocab::table!("cl100k_base"),
        vocab::table!("o200k_base"),
        vocab::table!("r50k_base"),
        vocab::table!("p50k_base"),
    ];
    for (e, table) in ENCODINGS.iter().zip(tables) {
        let reference = (e.reference)();
        let specials: Vec<Rank> = (reference.special_tokens().iter())
            .flat_map(|s| reference.encode_with_special_tokens(s))
            .collect();
        let tokens = vocab::tokens(table);
        assert!(tokens.len() > 50_000, "{}: {} tokens", e.name, tokens.len());
        let last = tokens.last().map_or(0, |t| t.1);
        let mut ours = tokens.iter().peekable();
        for rank in 0..=last.max(specials.iter().copied().max().unwrap_or(0)) + 1 {
            let expected = match reference.decode_bytes(&[rank]) {
                Ok(bytes) if !specials.contains(&rank) => Some(bytes),
                _ => None,
            };
            let got = ours.next_if(|t| t.1 == rank).map(|t| t.0.to_vec());
            assert_eq!(got, expected, "{} rank {rank}", e.name);
        }
        assert!(ours.next().is_none(), "{}: ranks out of order", e.name);
    }
}

/// Exact cl100k counts published by OpenAI ("How to count tokens with tiktoken", the
/// cookbook's examples), not computed by this code or by tiktoken-rs.
#[test]
fn exact_cl100k_counts_for_known_strings() {
    let t = cl100k();
    for (text, n) in [
        ("hello world", 2),
        ("tiktoken is great!", 6),
        ("antidisestablishmentarianism", 6),
        ("2 + 2 = 4", 7),
        ("お誕生日おめでとう", 9),
    ] {
        assert_eq!(t.count(text), n, "{text:?}");
    }
}

/// Pre-tokenisation edge cases: trailing spaces (`\s++$`), runs before a word
/// (`\s+(?!\S)`), newlines, CRLF, contractions, digits, non-ASCII spaces, long pieces.
#[test]
fn counts_equal_tiktoken_on_edge_cases() {
    let long_zh = "自然语言处理是人工智能的一个重要方向".repeat(40);
    let long_en = "a".repeat(3000) + &"xq".repeat(700);
    let cases = [
        "a\n  ",
        "x \n\n  ",
        "hello\n\t",
        "  x",
        "   x  y ",
        "\n\n\nx",
        "a \r\n b\r\n",
        "I'm you'LL they'Re 'S",
        "1234567 12,345.6",
        "\u{3000}中文\u{3000}\u{3000}字",
        "\t\t",
        " ",
        "\n",
        "x\u{a0}\u{a0}y",
        "émigré naïve",
        "<|endoftext|> <|fim_prefix|>",
        "!!!\n\n",
        "e\u{301}\u{301}x",
        "ﬁ𝔘𝔫𝔦𝔠𝔬𝔡𝔢 😀😀",
        &long_zh,
        &long_en,
    ];
    for e in &ENCODINGS {
        let (ours, reference) = ((e.counter)(), (e.reference)());
        for text in cases {
            assert_eq!(
                ours.count(text),
                reference.count_ordinary(text),
                "{} {text:?}",
                e.name
            );
        }
    }
}

/// A fixed xorshift stream of numbers below `m`: the same texts on every run.
fn xorshift(mut x: u64) -> impl FnMut(usize) -> usize {
    move |m| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % m as u64) as usize
    }
}

/// Random texts of long Han, Latin, Cyrillic and mixed runs (lengths crossing the small/large
/// merge switch at [`LARGE_PIECE`] bytes) count the same as tiktoken-rs under every encoding:
/// the merge loops and the rank filter must not change a count anywhere.
#[test]
fn counts_equal_tiktoken_on_random_long_runs() {
    const ALPHABETS: [&str; 6] = [
        "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落视济喜离虽坏兴切",
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZéèçñü",
        "абвгдежзийклмнопрстуфхцчшщыэюяАБВГД",
        "0123456789 ,.!?;:'\"()[]-_/\\\n\t\r，。！？；：、「」（）　😀🎉𝔘ﬁ\u{301}",
        "あいうえおかきくけこアイウエオカキクケコ한국어조선말",
        // whitespace runs of every kind the patterns treat apart
        "   \t\t\n\n\r\n\u{a0}\u{3000}\u{2028}\u{b}\u{c}",
    ];
    let alphabets: Vec<Vec<char>> = ALPHABETS.iter().map(|a| a.chars().collect()).collect();
    let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
    let mut texts = Vec::new();
    for _ in 0..300 {
        let mut t = String::new();
        for _ in 0..1 + next(6) {
            // a run from one alphabet (long), or from all of them (mixed)
            let run = [1, 5, 30, 34, 60, 200][next(6)];
            let mixed = next(4) == 0;
            let a = next(alphabets.len());
            for _ in 0..run {
                let a = if mixed { next(alphabets.len()) } else { a };
                t.push(alphabets[a][next(alphabets[a].len())]);
            }
        }
        texts.push(t);
    }
    for e in &ENCODINGS {
        let (ours, reference) = ((e.counter)(), (e.reference)());
        for t in &texts {
            assert_eq!(
                ours.count(t),
                reference.count_ordinary(t),
                "{} {t:?}",
                e.name
            );
        }
    }
}

/// Every seam the counter cuts Chinese, Japanese, Korean and Thai text at is one no token of
/// the vocabulary covers (the condition that makes cutting exact; [`seams`]), under every
/// encoding: checked on random runs of 3-byte characters, every substring across each seam.
#[test]
fn no_token_covers_a_seam() {
    let pool: Vec<char> = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落视济喜离虽坏兴切，。、「」（）あいうえおかきくけこアイウエオカキクケコ한국어조선말กขคงจฉ"
        .chars()
        .collect();
    let mut next = xorshift(0x2545_F491_4F6C_DD1D);
    let mut seams_seen = 0;
    for e in &ENCODINGS {
        let c = (e.counter)();
        for _ in 0..300 {
            let text: String = (0..2 + next(40)).map(|_| pool[next(pool.len())]).collect();
            let t = text.as_bytes();
            let mut at = 0;
            let mut cuts = Vec::new();
            c.seams.split(t, |part| {
                at += part.len();
                cuts.push(at);
            });
            cuts.pop(); // the end of the last part is the end of the text
            for &p in &cuts {
                seams_seen += 1;
                for s in 0..p {
                    for end in p + 1..=t.len() {
                        assert_eq!(
                            c.rank(&t[s..end]),
                            Rank::MAX,
                            "{}: token {:?} covers the seam at {p} of {text:?}",
                            e.name,
                            String::from_utf8_lossy(&t[s..end])
                        );
                    }
                }
            }
        }
    }
    assert!(
        seams_seen > 1000,
        "only {seams_seen} seams: the test saw too few"
    );
}

/// The shared zh and en texts (data tier): every text counts the same as tiktoken-rs's
/// `count_ordinary` under every encoding.
#[test]
fn counts_equal_tiktoken_on_shared_texts() {
    let Some(texts) = shared_texts() else { return };
    let bytes: usize = texts.iter().map(String::len).sum();
    assert!(
        texts.len() > 100 && bytes > 5_000_000,
        "{} texts, {bytes} bytes",
        texts.len()
    );
    for e in &ENCODINGS {
        let (ours, reference) = ((e.counter)(), (e.reference)());
        for t in &texts {
            let (a, b) = (ours.count(t), reference.count_ordinary(t));
            assert_eq!(a, b, "{}: {:?}", e.name, &t[..t.floor_char_boundary(80)]);
        }
    }
}

/// tiktoken-rs 0.12's pattern strings (`tiktoken_ext/openai_public.rs`) and our scanner for each.
const REFERENCE_PATTERNS: [(Split, &str); 2] = [
    (
        Split::Cl100k,
        r"'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s",
    ),
    (
        Split::Gpt2,
        r"'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s",
    ),
];

/// The first difference between the hand-written pre-tokeniser's pieces of `text` and
/// fancy-regex's on tiktoken's pattern string (what tiktoken-rs splits with).
fn piece_mismatch(split: Split, re: &fancy_regex::Regex, text: &str) -> Option<String> {
    let scan = Scan::new(text);
    let (mut ours, mut pos) = (Vec::new(), 0);
    while pos < text.len() {
        let end = scan.piece_end(split, pos);
        ours.push(&text[pos..end]);
        pos = end;
    }
    let theirs: Vec<&str> = re.find_iter(text).map(|m| m.unwrap().as_str()).collect();
    let i = ours.iter().zip(&theirs).position(|(a, b)| a != b);
    let i = i.or((ours.len() != theirs.len()).then_some(ours.len().min(theirs.len())))?;
    Some(format!(
        "{split:?} piece {i}: ours {:?}, tiktoken's {:?}",
        ours.get(i),
        theirs.get(i)
    ))
}

/// The pre-tokeniser cuts the shared zh and en texts (data tier) exactly where tiktoken's
/// patterns do.
#[test]
fn pieces_equal_tiktoken_patterns_on_shared_texts() {
    let Some(texts) = shared_texts() else { return };
    assert!(texts.len() > 100, "{} texts", texts.len());
    for (split, pattern) in REFERENCE_PATTERNS {
        let re = fancy_regex::Regex::new(pattern).unwrap();
        for t in &texts {
            assert_eq!(piece_mismatch(split, &re, t), None);
        }
    }
}

/// Random strings over the characters the patterns treat specially (contraction letters in
/// both cases and U+017F, which `(?i)s` matches; spaces incl. non-ASCII and CR/LF; numbers of
/// every Unicode kind; marks; punctuation) and over all of Unicode: same pieces as tiktoken's
/// patterns.
#[test]
fn pieces_equal_tiktoken_patterns_on_random_strings() {
    let pool: Vec<char> =
        "'''sSdDmMtTlLvVeErRxX\u{17f}\u{212a}   \t\r\n\r\n\u{a0}\u{3000}\u{2028}\u{85}\u{b}\u{c}\
         0123\u{663}\u{b2}\u{216b}\u{2460}中文字\u{301}\u{903}!,./\u{ff0c}\u{3002}😀\u{1d518}_-"
            .chars()
            .collect();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for (split, pattern) in REFERENCE_PATTERNS {
        let re = fancy_regex::Regex::new(pattern).unwrap();
        for _ in 0..20_000 {
            let len = (next() % 24) as usize;
            let text: String = (0..len)
                .map(|_| match next() % 8 {
                    0 => char::from_u32((next() % 0x11_0000) as u32).unwrap_or('?'),
                    _ => pool[(next() % pool.len() as u64) as usize],
                })
                .collect();
            assert_eq!(piece_mismatch(split, &re, &text), None, "{text:?}");
        }
    }
}

/// `../shared/data` text-zh, text-en and reference/{zh,en}; None (skip) when the folder is
/// missing, a failure instead when `SKYPILE_REQUIRE_DATA=1`.
fn shared_texts() -> Option<Vec<String>> {
    let d = skypile_core::testdata::shared_data()?;
    let mut out = Vec::new();
    let mut jsonl = |s: &str| {
        for v in s
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        {
            for k in ["text", "raw_content", "content"] {
                out.extend(v.get(k).and_then(|x| x.as_str()).map(String::from));
            }
        }
    };
    for f in [
        "2021-43-cleared1.jsonl",
        "fasttext-clean.jsonl",
        "fasttext-dirty.jsonl",
    ] {
        jsonl(&std::fs::read_to_string(d.join("text-zh/chinesewebtext").join(f)).unwrap());
    }
    for f in [
        "dolma-cc_en_head-0091.jsonl.gz",
        "dolma-cc_en_head-0174.jsonl.gz",
    ] {
        let mut s = String::new();
        let file = std::fs::File::open(d.join("text-en").join(f)).unwrap();
        flate2::read::GzDecoder::new(file)
            .read_to_string(&mut s)
            .unwrap();
        jsonl(&s);
    }
    for lang in ["zh", "en"] {
        let mut files: Vec<_> = std::fs::read_dir(d.join("reference").join(lang))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        out.extend(files.iter().map(|p| std::fs::read_to_string(p).unwrap()));
    }
    Some(out)
}

#[cfg(not(feature = "hf-tokenizer"))]
#[test]
fn hf_json_without_the_feature_says_how_to_get_it() {
    let cfg = TokenizerConfig {
        encoding: "cl100k_base".into(),
        hf_json: Some("/data/tokenizer.json".into()),
    };
    let err = Tokenizer::new(&cfg).err().unwrap().to_string();
    assert!(
        err.contains("hf-tokenizer") && err.contains("/data/tokenizer.json"),
        "{err}"
    );
}

#[cfg(feature = "hf-tokenizer")]
#[test]
fn loads_a_local_hf_tokenizer_json() {
    let dir = std::env::temp_dir().join(format!("skypile-hf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("tokenizer.json");
    std::fs::write(
        &p,
        r#"{"version":"1.0","truncation":null,"padding":null,"added_tokens":[],"normalizer":null,
           "pre_tokenizer":{"type":"Whitespace"},"post_processor":null,"decoder":null,
           "model":{"type":"WordLevel","vocab":{"[UNK]":0,"hello":1,"world":2},"unk_token":"[UNK]"}}"#,
    )
    .unwrap();
    let cfg = TokenizerConfig {
        encoding: "cl100k_base".into(),
        hf_json: Some(p.to_string_lossy().into()),
    };
    let t = Tokenizer::new(&cfg).unwrap();
    assert_eq!(t.count("hello world again"), 3);
    let bad = TokenizerConfig {
        hf_json: Some("/nonexistent/tokenizer.json".into()),
        ..cfg
    };
    let err = Tokenizer::new(&bad).err().unwrap().to_string();
    assert!(err.contains("/nonexistent/tokenizer.json"), "{err}");
}
