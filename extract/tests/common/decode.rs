//! Test/benchmark helper: raw page bytes to UTF-8 the way the pipeline does it (skypile-ingest:
//! BOM, HTTP/meta labels, detection; GB2312/GBK decoded as GB18030).

pub fn decode(bytes: &[u8]) -> String {
    skypile_ingest::charset::decode_html(bytes, None).text
}
