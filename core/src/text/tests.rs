//! Tests of `text`.

use super::*;

#[test]
fn main_cjk_block_is_alphanumeric() {
    assert!(('\u{4E00}'..='\u{9FFF}').all(char::is_alphanumeric));
    assert!(!has_alphanumeric("，。 "));
    assert!(has_alphanumeric("a") && has_alphanumeric("中"));
}

#[test]
fn lines_are_trimmed_and_skip_blank() {
    let t = "  a b \r\n\n\tc\n";
    let r = line_ranges(t);
    let got: Vec<&str> = r.iter().map(|r| &t[r.clone()]).collect();
    assert_eq!(got, vec!["a b", "c"]);
}

#[test]
fn word_ranges_are_char_boundaries() {
    let t = "中文 text，混合English123。";
    for r in word_ranges(t, true)
        .into_iter()
        .chain(word_ranges(t, false))
    {
        assert!(t.is_char_boundary(r.start) && t.is_char_boundary(r.end));
    }
}

/// The crate's words of `t`, the definition [`uax29_word_ranges`] must reproduce.
fn crate_words(t: &str) -> Vec<Range<usize>> {
    t.unicode_word_indices()
        .map(|(i, w)| i..i + w.len())
        .collect()
}

/// The shared texts (reference prose, language-ID sentences in 16 languages, extraction
/// golds) and 100k random strings built from the classes UAX #29's rules name (letters,
/// digits, `' . , : ; _`, CR/LF, spaces, and non-ASCII letters, marks, format chars, ZWJ,
/// emoji, regional indicators, no-break and ideographic spaces) give the crate's words.
#[test]
fn uax29_pieces_match_the_crate() {
    // the random strings below run with or without the shared data
    let (mut files, data) = (Vec::new(), crate::testdata::shared_data());
    if let Some(data) = &data {
        for dir in [
            "reference",
            "langid/lingua-testdata/sentences",
            "extraction/en-cleaneval-dev/GoldStandard",
            "extraction/en-dragnet-sample/GoldStandard",
        ] {
            if let Ok(rd) = std::fs::read_dir(data.join(dir)) {
                files.extend(rd.flatten().map(|e| e.path()));
            }
        }
    }
    let texts: Vec<String> = files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    if data.is_some() && texts.is_empty() {
        crate::testdata::skip::<()>("no texts under reference/, langid/ or extraction/ golds");
    }
    let mut mixed = 0;
    for t in &texts {
        mixed += usize::from(!t.is_ascii());
        assert_eq!(uax29_word_ranges(t), crate_words(t));
        assert_eq!(uax29_pieces(t, 0), crate_words(t));
    }
    assert!(
        texts.is_empty() || mixed > 10,
        "the shared texts exercise the pieces"
    );
    let alphabet: Vec<&str> = vec![
        "a",
        "Z",
        "q",
        "0",
        "7",
        "'",
        ".",
        ",",
        ":",
        ";",
        "_",
        " ",
        " ",
        "  ",
        "\r",
        "\n",
        "\r\n",
        "\t",
        "\u{b}",
        "-",
        "\"",
        "é",
        "ß",
        "\u{301}",
        "\u{ad}",
        "\u{200d}",
        "\u{200b}",
        "\u{a0}",
        "\u{3000}",
        "\u{85}",
        "\u{2028}",
        "’",
        "—",
        "中",
        "カ",
        "한",
        "😀",
        "❤",
        "\u{1f1fa}",
        "\u{1f1f8}",
        "\u{5d0}",
        "١",
        "\u{2060}",
        "\u{fe0f}",
    ];
    let mut rng = crate::rng::Rng::new(0x9E37_79B9_7F4A_7C15u64);
    let mut next = move || rng.next_u64();
    for _ in 0..100_000 {
        let len = 1 + (next() % 200) as usize;
        // Mostly ASCII, as English pages are, so ASCII pieces and cuts are common.
        let t: String = (0..len)
            .map(|_| {
                let r = next() as usize;
                let ascii = alphabet.len() - 23;
                alphabet[if r.is_multiple_of(16) {
                    r / 16 % alphabet.len()
                } else {
                    r / 16 % ascii
                }]
            })
            .collect();
        let want = crate_words(&t);
        assert_eq!(uax29_word_ranges(&t), want, "{t:?}");
        assert_eq!(uax29_pieces(&t, 0), want, "{t:?}");
    }
}

#[test]
fn punct_classes_cover_fullwidth() {
    for c in ['。', '，', '！', '？', '、', '《', '」', '…', '!', '.'] {
        assert!(is_punct(c), "{c}");
    }
    for c in ['中', 'a', '1', 'ア'] {
        assert!(!is_punct(c), "{c}");
    }
    assert!(is_terminal_punct('。') && is_terminal_punct('？'));
}

#[test]
fn hash_normalisation_ignores_case_space_punct_and_width() {
    assert_eq!(
        normalize_for_hash("Hello,  World! 2024"),
        normalize_for_hash("hello world 1999")
    );
    assert_eq!(normalize_for_hash("ＡＢＣ，你好。"), "abc你好");
}

/// The char-by-char definition the fast path must reproduce.
fn hash_chain(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().map(fold_fullwidth) {
        if c.is_whitespace() || is_punct(c) || c.is_control() {
            continue;
        }
        if c.is_numeric() {
            out.push('0');
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

/// Every scalar value alone, then ASCII runs of every byte around non-ASCII chars, give the
/// chain's output (the function is per char, so this covers all inputs).
#[test]
fn ascii_hash_table_matches_the_chain() {
    for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
        let s = c.to_string();
        assert_eq!(normalize_for_hash(&s), hash_chain(&s), "{:#x}", c as u32);
    }
    let ascii: String = (0u8..128).map(char::from).collect();
    for sep in ["", "中", "É", "Ｗ", "\u{3000}", "\u{85}", "Ⅻ", "١", "İ"] {
        let s = format!("{ascii}{sep}{ascii}{sep}A1 b{sep}");
        assert_eq!(normalize_for_hash(&s), hash_chain(&s), "{sep:?}");
    }
}

#[test]
fn script_counts_do_not_count_han_as_latin() {
    let s = ScriptCounts::of("中文abcカナ한국");
    assert_eq!((s.han, s.latin, s.kana, s.hangul), (2, 3, 2, 2));
}

/// `ScriptCounts::of` gives every ASCII character the class the general
/// chain gives it.
#[test]
fn ascii_bytes_match_the_chain() {
    for b in 0u8..128 {
        let (mut chain, c) = (ScriptCounts::default(), b as char);
        chain.add_non_ascii(c);
        let table = ScriptCounts::of(&c.to_string());
        let key = |s: &ScriptCounts| (s.total, s.latin, s.digit, s.punct, s.other_alpha);
        assert_eq!(key(&table), key(&chain), "{b:#04x}");
    }
}

/// Long ASCII runs (the 8-byte skip, 255-byte chunks) between non-ASCII characters give the
/// counts of the character-by-character chain.
#[test]
fn long_runs_match_the_chain() {
    let ascii: String = (0u8..128).map(char::from).collect::<String>().repeat(5);
    for sep in ["", "中", "é", "—", "ア", "\u{3000}", "Ⅻ", "١"] {
        let text = format!("{ascii}{sep}x1 {sep}{}{sep}", &ascii[3..300]);
        let mut chain = ScriptCounts::default();
        text.chars().for_each(|c| chain.add_non_ascii(c));
        assert_eq!(
            format!("{:?}", ScriptCounts::of(&text)),
            format!("{chain:?}"),
            "{sep:?}"
        );
    }
}

#[test]
fn punct_ranges_match_the_chain() {
    for c in PUNCT_RANGES
        .iter()
        .cloned()
        .flatten()
        .filter_map(char::from_u32)
    {
        let mut chain = ScriptCounts::default();
        chain.add_non_ascii(c);
        assert_eq!((chain.total, chain.punct), (1, 1), "{c:?}");
    }
}
