//! Tests of `tokenize`.

use super::*;

fn same(html: &str) {
    let a = crate::tree::parse_html5ever(html).dump();
    let b = parse(html).dump();
    assert_eq!(a, b, "{html}");
}

#[test]
fn matches_html5ever_on_tricky_markup() {
    for h in [
        "<!DOCTYPE><html><head><title>A &amp; B</title></head><body><p class=x id='y'>t</p>",
        "<pre>\n\nline</pre><pre>&#10;x</pre><textarea>\r\nq</textarea>",
        "a &copy 2020 &amp;&lt;&#x41;&#65;&#128;&nbsp; & b &; &#; < c </ d </> <? pi ?> <!x>",
        "<table><tr><td>1<td>2</table><b><i>x</b>y</i><p>z",
        "<div CLASS=\"a\" class=b data-x=1 /><svg><![CDATA[x]]></svg><!-- c -->",
        "<title>x</titlex></title><xmp><b></xmp><script></script><style></style>t\r\nu\rv",
        "<plaintext>a</plaintext>&amp;",
        "\u{FEFF}<p>bom",
        "<p a=\"1\"b=2>x<p a='&amp;&bogus' c=d&amp;e>",
        "<p>x\0y</p>",
        "<div <p>",
        "<a href=x",
        "&notit; &notin; &not &noti a&b=c &ampx &AMP; &#x110000; &#0; &#150; &#65 x &#xD800;",
        "<a href=\"?a=1&b=2&copy=3&copy;&notx&not\" title=&amp>t</a><title>A &raquo; B &c</title>",
        "<p>x</^y> </\t<b> &",
    ] {
        same(h);
    }
}
