//! Test helper shared by the mutation tests.

/// The largest char boundary of `s` at or before `i`.
pub fn floor_char(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Tag soup spliced into real pages by the mutation tests.
pub const SOUP: &[&str] = &[
    "<",
    ">",
    "</",
    "<!--",
    "-->",
    "\"",
    "'",
    "<div>",
    "</div>",
    "<table><tr><td>",
    "<p>",
    "<a href=",
    "<script>",
    "</script>",
    "<style>",
    "<![CDATA[",
    "&#x",
    "&amp",
    "<svg><math>",
    "\u{0}",
    "<b><i>",
    "<li>",
    "</ul>",
    "<br/>",
    "<noscript>",
    "<template>",
    "<select><option>",
    "\u{FEFF}",
    "中文，",
];
