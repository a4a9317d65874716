//! Character references (`&amp;`, `&#8212;`, legacy `&copy` without `;`) decoded exactly as
//! html5ever's char-ref tokenizer does, for the fast tokenizer in [`crate::tokenize`].

/// `&name;`-style reference at `p` (an ASCII alphanumeric follows the `&`): the longest entity
/// name that matches, with the legacy rules for names without `;` (not decoded in an
/// attribute when `=` or an alphanumeric follows). `None`: no entity matches, a lone `&`.
pub(crate) fn named_ref(s: &str, p: usize, in_attr: bool) -> Option<(String, usize)> {
    let rest = s.get(p + 1..)?;
    // grow the name while it is a prefix of some entity, remembering the longest full match
    let (mut matched, mut buf_end) = (None, rest.len());
    for (i, c) in rest.char_indices() {
        let e = i + c.len_utf8();
        match html5ever::data::NAMED_ENTITIES.get(rest.get(..e)?) {
            Some(&m) if m.0 != 0 => matched = Some((m, e)),
            Some(_) => {}
            None => {
                buf_end = e;
                break;
            }
        }
    }
    let ((c1, c2), len) = matched?;
    let next_after = rest.get(len..buf_end).and_then(|t| t.chars().next());
    let semicolon = rest.as_bytes().get(len - 1) == Some(&b';');
    if !semicolon && in_attr && next_after.is_some_and(|c| c == '=' || c.is_ascii_alphanumeric()) {
        return None;
    }
    let mut out = String::new();
    out.push(char::from_u32(c1)?);
    if c2 != 0 {
        out.push(char::from_u32(c2)?);
    }
    Some((out, p + 1 + len))
}

/// `&#n;` / `&#xh;` at `p` (`;` optional), with html5ever's replacements for invalid values.
/// `None` without digits: a lone `&`.
pub(crate) fn numeric_ref(b: &[u8], p: usize) -> Option<(String, usize)> {
    let (radix, mut j) = match b.get(p + 2) {
        Some(b'x' | b'X') => (16, p + 3),
        _ => (10, p + 2),
    };
    let ds = j;
    let mut n: u64 = 0;
    while let Some(d) = b.get(j).and_then(|c| (*c as char).to_digit(radix)) {
        n = n
            .saturating_mul(u64::from(radix))
            .saturating_add(u64::from(d));
        j += 1;
    }
    if j == ds {
        return None;
    }
    if b.get(j) == Some(&b';') {
        j += 1;
    }
    let c = match n {
        0 | 0xD800..=0xDFFF => '\u{FFFD}',
        n if n > 0x10FFFF => '\u{FFFD}',
        0x80..=0x9F => html5ever::data::C1_REPLACEMENTS[(n - 0x80) as usize]
            .or_else(|| char::from_u32(n as u32))?,
        n => char::from_u32(n as u32)?,
    };
    Some((c.to_string(), j))
}
