//! URL identity for dedup: one normalised form per page, and the site (host) it belongs to.
//!
//! Hand-written rather than the `url` crate: only a few folds are needed, a malformed URL must
//! still give a stable key (it is data, not an error), and the workspace does not carry `url`.
//! * scheme dropped (`http` and `https` captures of a page are one page), host lower-cased
//!   without userinfo, port, trailing dot and a leading `www.`;
//! * fragment dropped; query parameters sorted, tracking ones (`utm_*`, `fbclid`, `gclid`, …)
//!   dropped; a trailing `/` of a non-root path dropped.
//!
//! The site is the host so folded (subdomains count as separate sites: no public-suffix list).

/// Query parameters that identify a click, not a page.
const TRACKING: [&str; 7] = [
    "fbclid", "gclid", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid",
];

/// Lower-cased host without userinfo, port, trailing dot and a leading `www.`.
pub fn site(url: &str) -> String {
    let rest = url.trim().split_once("://").map_or(url.trim(), |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let hostport = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let h = if hostport.starts_with('[') {
        hostport.split_inclusive(']').next().unwrap_or(hostport)
    } else {
        hostport.split(':').next().unwrap_or("")
    };
    let h = h.trim_end_matches('.').to_lowercase();
    h.strip_prefix("www.").map(str::to_string).unwrap_or(h)
}

/// `site/path?sorted&query`, or None when the URL has no host.
pub fn normalize(url: &str) -> Option<String> {
    let host = site(url);
    if host.is_empty() {
        return None;
    }
    let rest = url.trim().split_once("://").map_or(url.trim(), |(_, r)| r);
    let rest = rest.split('#').next().unwrap_or("");
    let after = rest.find(['/', '?']).map_or("", |i| &rest[i..]);
    let (path, query) = after.split_once('?').unwrap_or((after, ""));
    let path = match path.trim_end_matches('/') {
        "" => "/",
        p => p,
    };
    let mut params: Vec<&str> = query
        .split('&')
        .filter(|p| !p.is_empty() && !is_tracking(p))
        .collect();
    params.sort_unstable();
    let mut out = format!("{host}{path}");
    if !params.is_empty() {
        out.push('?');
        out.push_str(&params.join("&"));
    }
    Some(out)
}

fn is_tracking(param: &str) -> bool {
    let name = param.split('=').next().unwrap_or("").to_ascii_lowercase();
    name.starts_with("utm_") || TRACKING.contains(&name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captures_of_one_page_share_a_key() {
        let k = normalize("https://www.Example.com:443/a/b/?x=1&y=2#top");
        for u in [
            "http://example.com/a/b?y=2&x=1",
            "HTTP://EXAMPLE.COM./a/b?x=1&utm_source=feed&y=2",
            "https://user@www.example.com/a/b?y=2&fbclid=abc&x=1",
        ] {
            assert_eq!(normalize(u), k, "{u}");
        }
        assert_eq!(k.as_deref(), Some("example.com/a/b?x=1&y=2"));
    }

    #[test]
    fn different_pages_and_bad_urls() {
        assert_ne!(
            normalize("http://example.com/a?id=1"),
            normalize("http://example.com/a?id=2")
        );
        assert_ne!(
            normalize("http://a.example.com/"),
            normalize("http://b.example.com/")
        );
        assert_eq!(
            normalize("http://example.com"),
            normalize("http://example.com/")
        );
        assert_eq!(normalize(""), None);
        assert_eq!(normalize("http:///nohost"), None);
        assert_eq!(site("http://[::1]:8080/x"), "[::1]");
        assert_eq!(site("news.sina.com.cn/c/1.html"), "news.sina.com.cn");
    }
}
