//! Test/benchmark helper: raw page bytes to UTF-8 (BOM, valid UTF-8, `<meta charset>`, then a
//! strict GB18030 try, then windows-1252). The pipeline itself gets UTF-8 from skypile-ingest.

use encoding_rs::{Encoding, GB18030, UTF_8, WINDOWS_1252};

fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = &bytes[..bytes.len().min(4096)];
    let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
    let pos = lower.windows(8).position(|w| w == b"charset=")?;
    let rest = &lower[pos + 8..];
    let rest = rest
        .strip_prefix(b"\"")
        .or_else(|| rest.strip_prefix(b"'"))
        .unwrap_or(rest);
    let end = rest
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_'))
        .unwrap_or(rest.len());
    Encoding::for_label(&rest[..end])
}

pub fn decode(bytes: &[u8]) -> String {
    if let Some((enc, bom)) = Encoding::for_bom(bytes) {
        return enc
            .decode_without_bom_handling(&bytes[bom..])
            .0
            .into_owned();
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_string();
    }
    let enc = match meta_charset(bytes) {
        // GB2312/GBK labels are routinely wrong about the repertoire: GB18030 is the superset
        Some(e) if e == encoding_rs::GBK || e == GB18030 => GB18030,
        Some(e) if e != UTF_8 => e,
        _ => {
            if GB18030
                .decode_without_bom_handling_and_without_replacement(bytes)
                .is_some()
            {
                GB18030
            } else {
                WINDOWS_1252
            }
        }
    };
    enc.decode_without_bom_handling(bytes).0.into_owned()
}
