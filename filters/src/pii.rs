//! PII redaction: e-mail addresses, IPv4/IPv6 addresses, Chinese mobile numbers, Chinese
//! resident ID numbers and QQ numbers given in context, replaced by placeholders. Follows
//! datatrove's `PIIFormatter` (e-mail and IP placeholders, as in FineWeb) and adds the Chinese
//! identifiers SkyPile-style corpora must not leak. ID numbers are redacted only when their
//! GB 11643-1999 check digit and birth date are valid, so order numbers and other random
//! 18-digit strings survive. Never drops a doc; counts `pii_<kind>` replacements.

use std::net::Ipv6Addr;
use std::ops::Range;

use anyhow::Result;
use regex::Regex;
use serde::{Deserialize, Serialize};
use skypile_core::{ColType, Column, Counters, Doc, Step, Verdict};

use crate::util::Scores;

/// Redacts e-mails, IPs, CN phone and ID numbers, QQ numbers; never drops.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PiiConfig {
    pub keep_scores: bool,
    pub email: bool,
    pub ip: bool,
    pub phone: bool,
    pub id_number: bool,
    pub qq: bool,
    pub placeholders: PiiPlaceholders,
}

impl Default for PiiConfig {
    fn default() -> Self {
        PiiConfig {
            keep_scores: true,
            email: true,
            ip: true,
            phone: true,
            id_number: true,
            qq: true,
            placeholders: PiiPlaceholders::default(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct PiiPlaceholders {
    pub email: String,
    pub ip: String,
    pub phone: String,
    pub id_number: String,
    pub qq: String,
}

impl Default for PiiPlaceholders {
    fn default() -> Self {
        PiiPlaceholders {
            email: "<EMAIL>".into(),
            ip: "<IP>".into(),
            phone: "<PHONE>".into(),
            id_number: "<ID_NUMBER>".into(),
            qq: "<QQ>".into(),
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Email,
    IdNumber,
    Phone,
    Qq,
    Ipv4,
    Ipv6,
}

impl Kind {
    fn key(self) -> &'static str {
        match self {
            Kind::Email => "pii_email",
            Kind::IdNumber => "pii_id_number",
            Kind::Phone => "pii_phone",
            Kind::Qq => "pii_qq",
            Kind::Ipv4 | Kind::Ipv6 => "pii_ip",
        }
    }
}

pub struct Pii {
    cfg: PiiConfig,
    /// Applied in order: e-mail first (QQ mail addresses are e-mails), ID before phone.
    patterns: Vec<(Kind, Regex)>,
}

const DIGIT: u8 = b'0';

fn is_digit(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_ascii_digit())
}

/// GB 11643-1999: 6-digit region, YYYYMMDD birth date, 3-digit sequence, ISO 7064 MOD 11-2
/// check character.
pub fn valid_cn_id(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 18 || !b.iter().take(17).all(u8::is_ascii_digit) {
        return false;
    }
    let num = |r: Range<usize>| {
        b.get(r).map_or(0, |d| {
            d.iter().fold(0u32, |n, &c| n * 10 + (c - DIGIT) as u32)
        })
    };
    let (y, m, d) = (num(6..10), num(10..12), num(12..14));
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    if !(1900..=2100).contains(&y) || d == 0 || d > days {
        return false;
    }
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = b.iter().zip(W).map(|(&c, w)| (c - DIGIT) as u32 * w).sum();
    let check = b"10X98765432".get((sum % 11) as usize).copied();
    b.get(17).map(u8::to_ascii_uppercase) == check
}

impl Pii {
    pub fn new(cfg: PiiConfig) -> Result<Self> {
        let mut patterns = Vec::new();
        let mut add = |on: bool, kind: Kind, re: &str| -> Result<()> {
            if on {
                patterns.push((kind, Regex::new(re)?));
            }
            Ok(())
        };
        add(
            cfg.email,
            Kind::Email,
            r"(?i)[a-z0-9._%+-]+@(?:[a-z0-9-]+\.)+[a-z]{2,24}",
        )?;
        add(cfg.id_number, Kind::IdNumber, r"[1-8][0-9]{16}[0-9Xx]")?;
        add(
            cfg.phone,
            Kind::Phone,
            r"(?:\+?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]{4}){2}",
        )?;
        add(
            cfg.qq,
            Kind::Qq,
            r"(?i)(?:qq|扣扣|企鹅号)[ \t]*(?:号码|号|群)?[ \t]*[:：]?[ \t]*([1-9][0-9]{4,10})",
        )?;
        let octet = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])";
        add(cfg.ip, Kind::Ipv4, &format!(r"{octet}(?:\.{octet}){{3}}"))?;
        add(
            cfg.ip,
            Kind::Ipv6,
            r"(?i)[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}",
        )?;
        Ok(Pii { cfg, patterns })
    }

    fn placeholder(&self, kind: Kind) -> &str {
        let p = &self.cfg.placeholders;
        match kind {
            Kind::Email => &p.email,
            Kind::IdNumber => &p.id_number,
            Kind::Phone => &p.phone,
            Kind::Qq => &p.qq,
            Kind::Ipv4 | Kind::Ipv6 => &p.ip,
        }
    }

    /// The span to replace if this match is real PII (regex has no look-around, so the
    /// context checks live here).
    fn accept(kind: Kind, text: &str, caps: &regex::Captures) -> Option<Range<usize>> {
        let m = caps.get(if kind == Kind::Qq { 1 } else { 0 })?;
        let s = m.as_str();
        let before = text.get(..m.start()).and_then(|t| t.chars().next_back());
        let after = text.get(m.end()..).and_then(|t| t.chars().next());
        let after2 = text.get(m.end()..).and_then(|t| t.chars().nth(1));
        let ok = match kind {
            Kind::Email => true,
            Kind::IdNumber => !is_digit(before) && !is_digit(after) && valid_cn_id(s),
            Kind::Phone => {
                !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '+') && !is_digit(after)
            }
            Kind::Qq => !is_digit(after),
            Kind::Ipv4 => {
                let dotted = |c: Option<char>, next: Option<char>| c == Some('.') && is_digit(next);
                let before2 = text.get(..m.start()).and_then(|t| t.chars().rev().nth(1));
                !is_digit(before)
                    && !is_digit(after)
                    && !dotted(after, after2)
                    && !dotted(before, before2)
            }
            Kind::Ipv6 => {
                let edge = |c: Option<char>| {
                    c.is_some_and(|c| c.is_alphanumeric() || c == ':' || c == '.')
                };
                let groups = s.split(':').filter(|g| !g.is_empty()).count();
                !edge(before) && !edge(after) && groups >= 2 && s.parse::<Ipv6Addr>().is_ok()
            }
        };
        ok.then(|| m.range())
    }

    /// Redact one kind; `None` when nothing matched (no allocation in the common case).
    fn redact(&self, kind: Kind, re: &Regex, text: &str) -> Option<(String, usize)> {
        let mut out = String::new();
        let (mut last, mut n) = (0, 0);
        for caps in re.captures_iter(text) {
            let Some(r) = Self::accept(kind, text, &caps) else {
                continue;
            };
            out.push_str(text.get(last..r.start)?);
            out.push_str(self.placeholder(kind));
            last = r.end;
            n += 1;
        }
        if n == 0 {
            return None;
        }
        out.push_str(text.get(last..)?);
        Some((out, n))
    }
}

impl Step for Pii {
    fn name(&self) -> &str {
        "pii"
    }

    fn columns(&self) -> Vec<Column> {
        [
            "pii_email",
            "pii_ip",
            "pii_phone",
            "pii_id_number",
            "pii_qq",
        ]
        .iter()
        .map(|n| Column::new(*n, ColType::Int64))
        .collect()
    }

    fn process(&self, doc: &mut Doc, stats: &mut Counters) -> Verdict {
        let mut text: Option<String> = None;
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for (kind, re) in &self.patterns {
            let cur = text.as_deref().unwrap_or(doc.text());
            if let Some((new, n)) = self.redact(*kind, re, cur) {
                stats.add(kind.key(), n as u64);
                counts.push((kind.key(), n));
                text = Some(new);
            }
        }
        if let Some(t) = text {
            doc.set_text(t);
        }
        let mut sc = Scores {
            doc,
            keep: self.cfg.keep_scores,
        };
        for key in [
            "pii_email",
            "pii_ip",
            "pii_phone",
            "pii_id_number",
            "pii_qq",
        ] {
            sc.set(
                key,
                counts
                    .iter()
                    .filter(|(k, _)| *k == key)
                    .map(|(_, n)| n)
                    .sum::<usize>(),
            );
        }
        Verdict::Keep
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> (String, Counters) {
        let mut d = Doc::from_text("t", text);
        let mut c = Counters::default();
        assert_eq!(
            Pii::new(PiiConfig::default())
                .unwrap()
                .process(&mut d, &mut c),
            Verdict::Keep
        );
        (d.text().to_string(), c)
    }

    #[test]
    fn id_checksum_and_date_are_verified() {
        assert!(valid_cn_id("11010519491231002X"));
        assert!(valid_cn_id("110105194912310021") == false);
        assert!(!valid_cn_id("110105194913310023"), "month 13");
        let (t, c) = run("身份证号：11010519491231002x，订单号 110105194912310021。");
        assert_eq!(t, "身份证号：<ID_NUMBER>，订单号 110105194912310021。");
        assert_eq!(c.get("pii_id_number"), 1);
    }

    #[test]
    fn redacts_emails_phones_qq_in_chinese_context() {
        let (t, c) = run(
            "联系电话13812345678或+86 139-1234-5678，邮箱zhang.san@example.com.cn，QQ：12345678，QQ号 88888 也行。",
        );
        assert_eq!(
            t,
            "联系电话<PHONE>或<PHONE>，邮箱<EMAIL>，QQ：<QQ>，QQ号 <QQ> 也行。"
        );
        assert_eq!(
            (c.get("pii_phone"), c.get("pii_email"), c.get("pii_qq")),
            (2, 1, 2)
        );
    }

    #[test]
    fn numbers_without_context_survive() {
        let text = "订单编号 2138123456789 共 12345678 元，版本 1.2.3.4.5，时间 12:30:45，std::vector，MAC 00:1A:2B:3C:4D:5E。";
        assert_eq!(run(text).0, text);
    }

    #[test]
    fn redacts_ipv4_and_ipv6() {
        let (t, c) = run("服务器IP地址192.168.1.10，备用 2001:db8::8a2e:370:7334 和 fe80::1%eth0.");
        assert_eq!(t, "服务器IP地址<IP>，备用 <IP> 和 <IP>%eth0.");
        assert_eq!(c.get("pii_ip"), 3);
    }
}
