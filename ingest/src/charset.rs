//! Turning the bytes of an HTML page into UTF-8 text, and saying which evidence decided.
//!
//! Order (WHATWG "encoding sniffing", adapted for offline archives where labels lie often):
//! 1. a byte-order mark: it cannot be there by accident, so it beats every label (as in browsers);
//! 2. the HTTP `Content-Type` charset, then 3. `<meta charset>` / `http-equiv` in the first bytes;
//! 4. no label: valid UTF-8 is UTF-8 (`utf8_default`), otherwise chardetng guesses (`detected`).
//!
//! Two checks overrule a label, because Chinese pages are mislabelled so often that trusting
//! labels blindly produces mojibake no later step can repair:
//! * bytes that are valid UTF-8 *and* contain multibyte sequences are UTF-8 whatever the label
//!   says (GB/Big5/Latin text is practically never valid UTF-8 by accident; browser-saved pages
//!   keep `charset=gb2312` in their meta while the bytes are UTF-8);
//! * when the label's decoding produces many U+FFFD and chardetng's guess produces clearly fewer,
//!   the guess wins.
//!
//! Both give `source = "detected_over_declared"`. GB2312 and GBK labels decode as GB18030 (a
//! strict superset; real "gb2312" pages routinely use GBK-only characters) and are reported as
//! `GB18030`.

use std::borrow::Cow;

use encoding_rs::{Encoding, GB18030, GBK, UTF_8, UTF_16BE, UTF_16LE};

/// A decoded page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    /// The encoding used, by its WHATWG name (`UTF-8`, `GB18030`, `Big5`, `windows-1252`, …).
    pub charset: &'static str,
    /// What decided: `bom`, `http`, `meta`, `detected`, `detected_over_declared`, `utf8_default`.
    pub source: &'static str,
}

/// How many bytes of the page are searched for a `<meta>` charset. WHATWG says 1024; real pages
/// put long `<title>`s, scripts and comments first, so we look further (it is a cheap scan).
const META_SCAN_BYTES: usize = 4096;

/// Decode `bytes` (an HTML body, already de-chunked and decompressed). `http_charset` is the
/// charset parameter of the HTTP `Content-Type`, if any.
pub fn decode_html(bytes: &[u8], http_charset: Option<&str>) -> Decoded {
    decode_html_hinted(bytes, http_charset, None)
}

/// Like [`decode_html`], with the page URL's top-level domain (e.g. `cn`, `tw`) as a hint for
/// detection of unlabelled pages.
pub fn decode_html_hinted(bytes: &[u8], http_charset: Option<&str>, url: Option<&str>) -> Decoded {
    decode_html_cow(Cow::Borrowed(bytes), http_charset, url)
}

/// [`decode_html_hinted`] on bytes the caller may give away: a UTF-8 page (most of the web)
/// becomes its `String` without a copy.
/// - Why: validating and copying a page twice (once to classify it, once to build the text)
///   cost 5% of reading time on the bench WARC (perf, scripts/bench/run.sh --only read).
pub fn decode_html_cow(
    bytes: Cow<'_, [u8]>,
    http_charset: Option<&str>,
    url: Option<&str>,
) -> Decoded {
    if let Some((enc, bom_len)) = Encoding::for_bom(&bytes) {
        let body = bytes.get(bom_len..).unwrap_or_default();
        let (text, _) = enc.decode_without_bom_handling(body);
        return Decoded {
            text: text.into_owned(),
            charset: name(enc),
            source: "bom",
        };
    }
    let declared = http_charset
        .and_then(lookup)
        .map(|e| (e, "http"))
        .or_else(|| {
            meta_charset(&bytes)
                .and_then(lookup_meta)
                .map(|e| (e, "meta"))
        });
    // the one UTF-8 validation: `Valid` is the page as text, the others give the bytes back
    let utf8 = Utf8::check(bytes);
    let utf8_text = |utf8: Utf8, source| Decoded {
        text: utf8.into_text(),
        charset: "UTF-8",
        source,
    };
    match declared {
        Some((enc, source)) if enc == UTF_8 => match utf8 {
            Utf8::Invalid(b) => decode_checked(&b, UTF_8, source, url),
            valid => utf8_text(valid, source),
        },
        // valid UTF-8 with multibyte sequences beats another label (a cut one has some)
        Some((enc, source)) => match utf8 {
            Utf8::Valid(s) if !s.is_ascii() => utf8_text(Utf8::Valid(s), "detected_over_declared"),
            cut @ Utf8::Cut(_) => utf8_text(cut, "detected_over_declared"),
            other => decode_checked(other.bytes(), enc, source, url),
        },
        None => match utf8 {
            Utf8::Invalid(b) => {
                let enc = detect_lenient(&b, url);
                let (text, _) = enc.decode_without_bom_handling(&b);
                Decoded {
                    text: text.into_owned(),
                    charset: name(enc),
                    source: "detected",
                }
            }
            valid => utf8_text(valid, "utf8_default"),
        },
    }
}

/// The `charset` parameter of a `Content-Type` value (`text/html; charset="gbk"` → `gbk`).
pub fn charset_from_content_type(ct: &str) -> Option<&str> {
    for param in ct.split(';').skip(1) {
        let Some((k, v)) = param.split_once('=') else {
            continue;
        };
        if k.trim().eq_ignore_ascii_case("charset") {
            let v = v.trim().trim_matches(|c| c == '"' || c == '\'').trim();
            if !v.is_empty() {
                return Some(v);
            }
        }
    }
    None
}

/// An encoding for a label, with the GB family widened to GB18030. `None` for unknown labels
/// and for the WHATWG "replacement" encoding (ISO-2022-KR & co), which would destroy the text.
pub fn lookup(label: &str) -> Option<&'static Encoding> {
    let enc = Encoding::for_label_no_replacement(label.trim().as_bytes())?;
    Some(if enc == GBK { GB18030 } else { enc })
}

/// A `<meta>` label claiming UTF-16 is a lie by construction (the meta itself was readable as
/// ASCII), so WHATWG maps it to UTF-8.
fn lookup_meta(label: &str) -> Option<&'static Encoding> {
    let enc = lookup(label)?;
    Some(if enc == UTF_16LE || enc == UTF_16BE {
        UTF_8
    } else {
        enc
    })
}

/// WHATWG names, except that the GB family is reported as `GB18030` (encoding_rs spells it
/// `gb18030`, unlike every other name it gives, and users grep for the upper-case form).
fn name(enc: &'static Encoding) -> &'static str {
    if enc == GBK || enc == GB18030 {
        "GB18030"
    } else {
        enc.name()
    }
}

/// A page's bytes after the one UTF-8 check.
enum Utf8<'a> {
    Valid(Cow<'a, str>),
    /// Valid up to a multibyte sequence cut by the end of the body (bodies get truncated): still
    /// UTF-8, the cut sequence becomes U+FFFD.
    Cut(Cow<'a, [u8]>),
    Invalid(Cow<'a, [u8]>),
}

impl<'a> Utf8<'a> {
    fn check(bytes: Cow<'a, [u8]>) -> Utf8<'a> {
        let cut = |e: std::str::Utf8Error| e.error_len().is_none();
        match bytes {
            Cow::Borrowed(b) => match std::str::from_utf8(b) {
                Ok(s) => Utf8::Valid(Cow::Borrowed(s)),
                Err(e) if cut(e) => Utf8::Cut(Cow::Borrowed(b)),
                Err(_) => Utf8::Invalid(Cow::Borrowed(b)),
            },
            Cow::Owned(v) => match String::from_utf8(v) {
                Ok(s) => Utf8::Valid(Cow::Owned(s)),
                Err(e) if cut(e.utf8_error()) => Utf8::Cut(Cow::Owned(e.into_bytes())),
                Err(e) => Utf8::Invalid(Cow::Owned(e.into_bytes())),
            },
        }
    }

    fn bytes(&self) -> &[u8] {
        match self {
            Utf8::Valid(s) => s.as_bytes(),
            Utf8::Cut(b) | Utf8::Invalid(b) => b,
        }
    }

    fn into_text(self) -> String {
        match self {
            Utf8::Valid(s) => s.into_owned(),
            Utf8::Cut(b) | Utf8::Invalid(b) => String::from_utf8_lossy(&b).into_owned(),
        }
    }
}

/// Decode with a declared encoding; if that yields many U+FFFD and detection does clearly
/// better, use detection instead.
fn decode_checked(
    bytes: &[u8],
    enc: &'static Encoding,
    source: &'static str,
    url: Option<&str>,
) -> Decoded {
    let (text, had_errors) = enc.decode_without_bom_handling(bytes);
    if had_errors {
        let bad = count_replacements(&text);
        if too_many(bad, text.len()) {
            let guess = detect(bytes, url);
            // A single-byte guess decodes anything without errors, so "fewer U+FFFD" is no
            // evidence against a multibyte CJK label (a GB page with a few corrupt bytes).
            let cjk_label = !enc.is_single_byte() && enc != UTF_8;
            if guess != enc
                && !(enc == GB18030 && guess == GBK)
                && !(cjk_label && guess.is_single_byte())
            {
                let (alt, _) = guess.decode_without_bom_handling(bytes);
                if count_replacements(&alt) * 2 < bad {
                    return Decoded {
                        text: alt.into_owned(),
                        charset: name(guess),
                        source: "detected_over_declared",
                    };
                }
            }
        }
    }
    Decoded {
        text: text.into_owned(),
        charset: name(enc),
        source,
    }
}

/// A few stray bad bytes are normal in real pages (a cut multibyte char, one bad paste); more
/// than ~0.2 % of the text, or a dozen, means the label is wrong.
fn too_many(bad: usize, len: usize) -> bool {
    bad >= 12 || bad * 500 > len.max(1)
}

fn count_replacements(s: &str) -> usize {
    s.chars().filter(|&c| c == '\u{FFFD}').count()
}

fn detect(bytes: &[u8], url: Option<&str>) -> &'static Encoding {
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    // chardetng's verdict is settled well before the end of a page; 64 KiB keeps it cheap.
    det.feed(bytes.get(..1 << 16).unwrap_or(bytes), true);
    let tld = url.and_then(tld_of);
    let enc = det.guess(
        tld.as_deref().map(str::as_bytes),
        chardetng::Utf8Detection::Allow,
    );
    if enc == GBK { GB18030 } else { enc }
}

/// chardetng rules out an encoding at its first invalid sequence, so a GB or Big5 page with a
/// couple of corrupt bytes comes back as windows-1252 mojibake. When it guesses a single-byte
/// encoding, ask again without the few sequences that are invalid in GB18030 (then Big5).
fn detect_lenient(bytes: &[u8], url: Option<&str>) -> &'static Encoding {
    let guess = detect(bytes, url);
    if !guess.is_single_byte() {
        return guess;
    }
    // GB18030/Big5 text puts its high bytes in pairs (lead + trail are both >= 0x80 for almost
    // all Han characters); Latin pages have isolated accented letters. Only retry pages whose
    // high bytes mostly pair up: the retries cost two more detector passes per Latin page.
    let (mut high, mut paired) = (0usize, 0usize);
    for (i, &b) in bytes.iter().enumerate() {
        if b >= 0x80 {
            high += 1;
            let prev = i
                .checked_sub(1)
                .and_then(|j| bytes.get(j))
                .is_some_and(|&p| p >= 0x80);
            let next = bytes.get(i + 1).is_some_and(|&n| n >= 0x80);
            paired += usize::from(prev || next);
        }
    }
    if paired * 2 < high {
        return guess;
    }
    let max_errors = (high / 200).max(2);
    for cand in [GB18030, encoding_rs::BIG5] {
        if let Some(clean) = without_malformed(bytes, cand, max_errors) {
            let again = detect(&clean, url);
            if again == cand || (cand == GB18030 && again == GBK) {
                return cand;
            }
        }
    }
    guess
}

/// `bytes` without the sequences `enc` cannot decode; `None` when there are more than `max`.
fn without_malformed(bytes: &[u8], enc: &'static Encoding, max: usize) -> Option<Vec<u8>> {
    use encoding_rs::DecoderResult;
    let mut dec = enc.new_decoder_without_bom_handling();
    let mut scratch = vec![0u8; 1 << 14];
    let mut keep = Vec::with_capacity(bytes.len());
    let (mut pos, mut kept_to, mut errors) = (0usize, 0usize, 0usize);
    loop {
        let (res, read, _) =
            dec.decode_to_utf8_without_replacement(bytes.get(pos..)?, &mut scratch, true);
        pos += read;
        match res {
            DecoderResult::InputEmpty => {
                keep.extend_from_slice(bytes.get(kept_to..)?);
                return (errors > 0).then_some(keep);
            }
            DecoderResult::OutputFull => {}
            DecoderResult::Malformed(bad, after) => {
                errors += 1;
                if errors > max {
                    return None;
                }
                let end = pos.checked_sub(after as usize)?;
                let start = end.saturating_sub(bad as usize).max(kept_to);
                keep.extend_from_slice(bytes.get(kept_to..start)?);
                kept_to = end.max(kept_to);
            }
        }
    }
}

/// The lower-case ASCII top-level domain of a URL, in the form chardetng accepts (it panics on
/// anything else, so we only pass a clean label).
fn tld_of(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit('@').next()?.split(':').next()?;
    let tld = host
        .trim_end_matches('.')
        .rsplit('.')
        .next()?
        .to_ascii_lowercase();
    let ok = !tld.is_empty()
        && tld
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    ok.then_some(tld)
}

/// The charset named by a `<meta charset=…>` or `<meta http-equiv=Content-Type content="…;
/// charset=…">` in the first bytes. A light scan rather than an HTML parse: it looks at `<meta`
/// tags only, so `charset` in scripts or text does not count.
pub fn meta_charset(bytes: &[u8]) -> Option<&str> {
    let head = bytes.get(..META_SCAN_BYTES).unwrap_or(bytes);
    let mut from = 0;
    while let Some(pos) = memchr::memmem::find(head.get(from..)?, b"<") {
        let start = from + pos;
        from = start + 1;
        let tag = head.get(start + 1..start + 5)?;
        if !tag.eq_ignore_ascii_case(b"meta") {
            continue;
        }
        let end = memchr::memchr(b'>', head.get(start..)?).map_or(head.len(), |e| start + e);
        let attrs = head.get(start + 5..end)?;
        if let Some(v) = charset_in_tag(attrs) {
            return Some(v);
        }
    }
    None
}

fn charset_in_tag(attrs: &[u8]) -> Option<&str> {
    let lower: Vec<u8> = attrs.to_ascii_lowercase();
    let at = memchr::memmem::find(&lower, b"charset")?;
    let mut i = at + "charset".len();
    let skip_ws = |i: &mut usize| {
        while lower.get(*i).is_some_and(|b| b.is_ascii_whitespace()) {
            *i += 1;
        }
    };
    skip_ws(&mut i);
    if lower.get(i) != Some(&b'=') {
        return None;
    }
    i += 1;
    skip_ws(&mut i);
    while lower.get(i).is_some_and(|&b| b == b'"' || b == b'\'') {
        i += 1;
    }
    let start = i;
    while lower
        .get(i)
        .is_some_and(|&b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
    {
        i += 1;
    }
    let v = std::str::from_utf8(attrs.get(start..i)?).ok()?;
    (!v.is_empty()).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gb(s: &str) -> Vec<u8> {
        GB18030.encode(s).0.into_owned()
    }

    const ZH: &str = "中文网页的编码经常被声明错误，我们需要正确地解码这些字节。";

    #[test]
    fn http_label_decides_and_gb2312_means_gb18030() {
        // 镕 is not in GB2312 but is in GBK: the "gb2312" label must still decode it.
        let text = format!("<p>{ZH}朱镕基</p>");
        let d = decode_html(&gb(&text), Some("gb2312"));
        assert_eq!((d.charset, d.source), ("GB18030", "http"));
        assert_eq!(d.text, text);
        let d = decode_html(&gb(&text), Some("GBK"));
        assert_eq!(d.charset, "GB18030");
    }

    #[test]
    fn bom_beats_labels() {
        let mut b = vec![0xEF, 0xBB, 0xBF];
        b.extend_from_slice(ZH.as_bytes());
        let d = decode_html(&b, Some("gbk"));
        assert_eq!((d.text.as_str(), d.charset, d.source), (ZH, "UTF-8", "bom"));
        let mut b = vec![0xFF, 0xFE];
        for u in "编码".encode_utf16() {
            b.extend_from_slice(&u.to_le_bytes());
        }
        let d = decode_html(&b, None);
        assert_eq!((d.text.as_str(), d.charset), ("编码", "UTF-16LE"));
    }

    #[test]
    fn meta_charset_and_http_equiv() {
        let html =
            format!("<html><head><meta charset=\"gbk\"><title>x</title></head><body>{ZH}</body>");
        let d = decode_html(&gb(&html), None);
        assert_eq!((d.charset, d.source), ("GB18030", "meta"));
        assert_eq!(d.text, html);
        let html = format!(
            "<META HTTP-EQUIV='Content-Type' CONTENT='text/html; charset=big5'>{}",
            "中文網頁"
        );
        let bytes = encoding_rs::BIG5.encode(&html).0.into_owned();
        let d = decode_html(&bytes, None);
        assert_eq!(
            (d.text.as_str(), d.charset, d.source),
            (html.as_str(), "Big5", "meta")
        );
        assert_eq!(
            meta_charset(b"<script>var charset='x'</script><meta name=a>"),
            None
        );
    }

    #[test]
    fn http_beats_meta() {
        let html = format!("<meta charset=utf-8>{ZH}");
        let d = decode_html(&gb(&html), Some("gb2312"));
        assert_eq!((d.charset, d.source), ("GB18030", "http"));
        assert_eq!(d.text, html);
    }

    #[test]
    fn valid_utf8_beats_a_wrong_label() {
        let html = format!("<meta charset=gb2312>{ZH}");
        let d = decode_html(html.as_bytes(), None);
        assert_eq!(
            (d.text.as_str(), d.charset, d.source),
            (html.as_str(), "UTF-8", "detected_over_declared")
        );
        let d = decode_html(html.as_bytes(), Some("gbk"));
        assert_eq!(d.source, "detected_over_declared");
        // Pure ASCII keeps the label: nothing contradicts it.
        let d = decode_html(b"<meta charset=gb2312>hello", None);
        assert_eq!((d.charset, d.source), ("GB18030", "meta"));
    }

    /// Owned bytes (the reader's path, no copy) decode exactly as borrowed ones, in every
    /// branch: BOM, labels right and wrong, UTF-8 cut at the end, invalid, unlabelled.
    #[test]
    fn owned_and_borrowed_bytes_decode_alike() {
        let utf8 = format!("<p>{ZH}</p>").into_bytes();
        let cut = utf8.get(..utf8.len() - 5).unwrap().to_vec();
        let mut bom = vec![0xef, 0xbb, 0xbf];
        bom.extend_from_slice(&utf8);
        let pages = [
            utf8.clone(),
            cut,
            bom,
            gb(ZH),
            b"<meta charset=gb2312>hello".to_vec(),
            b"caf\xe9 cr\xe8me br\xfbl\xe9e".to_vec(),
            [utf8.as_slice(), b"\xff\xfe bad"].concat(),
        ];
        for page in pages {
            for label in [None, Some("utf-8"), Some("gbk"), Some("latin1")] {
                let want = decode_html_hinted(&page, label, Some("http://a.cn/"));
                let got = decode_html_cow(Cow::Owned(page.clone()), label, Some("http://a.cn/"));
                assert_eq!(got, want, "{label:?} {page:?}");
            }
        }
    }

    #[test]
    fn replacement_chars_make_detection_win() {
        // GB bytes labelled UTF-8: the UTF-8 decoding is full of U+FFFD.
        let body = gb(&ZH.repeat(5));
        let d = decode_html(&body, Some("utf-8"));
        assert_eq!((d.charset, d.source), ("GB18030", "detected_over_declared"));
        assert_eq!(d.text, ZH.repeat(5));
        // One stray bad byte in a UTF-8 page keeps the label.
        let mut b = ZH.repeat(20).into_bytes();
        b.push(0xFF);
        let d = decode_html(&b, Some("utf-8"));
        assert_eq!((d.charset, d.source), ("UTF-8", "http"));
        assert!(d.text.ends_with('\u{FFFD}'));
    }

    #[test]
    fn unlabelled_pages() {
        let d = decode_html(ZH.as_bytes(), None);
        assert_eq!((d.charset, d.source), ("UTF-8", "utf8_default"));
        let d = decode_html(b"plain ascii", None);
        assert_eq!((d.charset, d.source), ("UTF-8", "utf8_default"));
        let d = decode_html(&gb(&ZH.repeat(3)), None);
        assert_eq!((d.charset, d.source), ("GB18030", "detected"));
        assert_eq!(d.text, ZH.repeat(3));
        let big5 = encoding_rs::BIG5
            .encode("中華民國的網頁內容通常使用繁體中文與大五碼編碼。")
            .0
            .into_owned();
        let d = decode_html_hinted(&big5, None, Some("http://www.example.com.tw/a"));
        assert_eq!(d.charset, "Big5");
        // A UTF-8 body cut inside a multibyte char is still UTF-8.
        let b = ZH.as_bytes();
        let d = decode_html(b.get(..b.len() - 1).unwrap(), Some("gb2312"));
        assert_eq!(d.charset, "UTF-8");
    }

    #[test]
    fn a_few_corrupt_bytes_do_not_turn_gb_into_latin() {
        let mut b = gb(&ZH.repeat(20));
        b.insert(30, 0xFF);
        b.insert(601, 0xFF);
        let d = decode_html(&b, None);
        assert_eq!((d.charset, d.source), ("GB18030", "detected"));
        let d = decode_html(&b, Some("gb2312"));
        assert_eq!((d.charset, d.source), ("GB18030", "http"));
        // Latin text stays Latin.
        let latin = encoding_rs::WINDOWS_1252
            .encode("Größe, schön und für élève à côté. ")
            .0
            .repeat(10);
        assert_eq!(decode_html(&latin, None).charset, "windows-1252");
    }

    #[test]
    fn content_type_and_labels() {
        assert_eq!(
            charset_from_content_type("text/html; charset=\"GBK\""),
            Some("GBK")
        );
        assert_eq!(
            charset_from_content_type("text/html;charset=utf-8;x=1"),
            Some("utf-8")
        );
        assert_eq!(charset_from_content_type("text/html"), None);
        assert_eq!(lookup("x-unknown"), None);
        assert_eq!(lookup("iso-2022-kr"), None);
        assert_eq!(tld_of("http://a.B.CN:80/x"), Some("cn".into()));
        assert_eq!(tld_of("http://[::1]/"), None);
    }
}
