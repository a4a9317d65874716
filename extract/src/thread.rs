//! Threads: a forum thread, a Q&A page or a comment list is a sequence of similar content blocks
//! (posts), each with the same inner layout (author box, body, signature, buttons). One post's
//! body can win the region alone, which loses the rest of the thread; and short replies are
//! `Short` blocks that a region rule would weigh against furniture of the same length.
//!
//! * Posts are found by structure only: at least three sibling elements with the same signature
//!   (tag + first class name, digits ignored; `dom::Page::sig`) of which at least two hold good
//!   prose, on the path from the chosen region up to the page.
//! * The body "slot" of a post is the chain of signatures from the post down to the element that
//!   holds its prose; the slot that holds good prose in at least two posts is the body. Every
//!   block in a body slot is kept (short replies too); blocks in other slots (profiles,
//!   signatures, post footers) only when they are good prose themselves.
//! * Nothing here knows a forum engine, a class name or a site.

use std::collections::HashMap;

use crate::dom::Page;

/// Levels above the region searched for the posts' container.
const MAX_UP: usize = 8;
/// Element levels between a post and its body blocks that make up a slot.
const MAX_SLOT_DEPTH: usize = 12;

/// The posts of a thread (element indices) and the signature paths of their slots.
pub struct Thread {
    pub posts: Vec<u32>,
    body_slots: Vec<u32>,
    /// Slots without good prose that recur in at least half of the posts (author boxes,
    /// signatures, post footers).
    furniture_slots: Vec<u32>,
}

/// Where a block sits relative to the thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Body,
    Furniture,
    /// In a post, in a slot that is neither (a list or quote in one post).
    Other,
    Outside,
}

/// Element children of `e` (pre-order table: first child is `e + 1`, next sibling is `end`).
fn children(page: &Page, e: u32) -> impl Iterator<Item = u32> + '_ {
    let end = page.end.get(e as usize).copied().unwrap_or(0);
    let mut c = e + 1;
    std::iter::from_fn(move || {
        if c >= end {
            return None;
        }
        let cur = c;
        c = page.end.get(c as usize).copied().unwrap_or(end).max(c + 1);
        Some(cur)
    })
}

/// Hash of the signatures from `elem` up to (not including) `post`; `None` when too deep.
fn slot(page: &Page, post: u32, elem: u32) -> Option<u32> {
    let mut h: u32 = 0x811c_9dc5;
    let mut e = elem;
    for _ in 0..MAX_SLOT_DEPTH {
        if e == post {
            return Some(h);
        }
        h = (h ^ page.sig.get(e as usize).copied().unwrap_or(0)).wrapping_mul(0x0100_0193);
        e = page.parent.get(e as usize).copied().unwrap_or(u32::MAX);
    }
    None
}

/// The post (a child of `container` in `posts`) that holds element `elem`, by binary search
/// over the sorted pre-order ranges.
fn post_of(page: &Page, posts: &[u32], elem: u32) -> Option<u32> {
    let i = posts.partition_point(|&p| p <= elem).checked_sub(1)?;
    let p = posts[i];
    (elem < page.end.get(p as usize).copied().unwrap_or(0)).then_some(p)
}

/// Body slots (good prose in at least two posts) and furniture slots (no good prose, in at
/// least half of the posts) of a candidate group.
fn slots(page: &Page, good: &[bool], posts: &[u32]) -> (Vec<u32>, Vec<u32>) {
    // slot -> (posts with good prose, posts with any block, last post seen for each)
    let mut seen: HashMap<u32, [u32; 4]> = HashMap::new();
    for (b, &g) in page.blocks.iter().zip(good) {
        let Some(p) = post_of(page, posts, b.elem) else {
            continue;
        };
        // prose directly in the post element is paragraphs, not a post layout
        let Some(s) = slot(page, p, b.elem).filter(|_| b.elem != p) else {
            continue;
        };
        let e = seen.entry(s).or_insert([0, 0, u32::MAX, u32::MAX]);
        if g && e[2] != p {
            (e[0], e[2]) = (e[0] + 1, p);
        }
        if e[3] != p {
            (e[1], e[3]) = (e[1] + 1, p);
        }
    }
    let (mut body, mut furniture) = (Vec::new(), Vec::new());
    for (s, [with_good, with_any, ..]) in seen {
        if with_good >= 2 {
            body.push(s);
        } else if with_good == 0 && with_any >= 2 && with_any * 2 >= posts.len() as u32 {
            furniture.push(s);
        }
    }
    body.sort_unstable();
    furniture.sort_unstable();
    (body, furniture)
}

/// Finds the thread around `region`, if the page is one. `good[i]`: block i is good prose.
pub fn find(page: &Page, good: &[bool], region: u32) -> Option<Thread> {
    let mut has_good = vec![false; page.parent.len()];
    for (b, _) in page.blocks.iter().zip(good).filter(|(_, g)| **g) {
        let mut e = b.elem;
        for _ in 0..4096 {
            match has_good.get_mut(e as usize) {
                Some(h) if !*h => *h = true,
                _ => break,
            }
            e = page.parent.get(e as usize).copied().unwrap_or(u32::MAX);
        }
    }
    let (mut below, mut at) = (None, region);
    for _ in 0..=MAX_UP {
        let mut groups: HashMap<u32, (Vec<u32>, u32)> = HashMap::new();
        for c in children(page, at) {
            let g = groups
                .entry(page.sig.get(c as usize).copied().unwrap_or(0))
                .or_default();
            g.0.push(c);
            g.1 += u32::from(has_good.get(c as usize).copied().unwrap_or(false));
        }
        // the group holding the region's branch, or (at the region itself) the largest one
        let pick = match below {
            Some(b) => groups.remove(&page.sig.get(b as usize).copied().unwrap_or(0)),
            // ties go to the earliest group, so the choice never depends on hash order
            None => groups
                .into_values()
                .max_by_key(|g| (g.1, g.0.len(), std::cmp::Reverse(g.0.first().copied()))),
        };
        if let Some((posts, with_good)) = pick.filter(|g| g.0.len() >= 3 && g.1 >= 2) {
            let (body_slots, furniture_slots) = slots(page, good, &posts);
            if !body_slots.is_empty() && with_good * 3 >= posts.len() as u32 {
                return Some(Thread {
                    posts,
                    body_slots,
                    furniture_slots,
                });
            }
        }
        let up = page.parent.get(at as usize).copied().unwrap_or(u32::MAX);
        if up == u32::MAX {
            break;
        }
        (below, at) = (Some(at), up);
    }
    None
}

impl Thread {
    /// Where the block whose element is `elem` sits.
    pub fn place(&self, page: &Page, elem: u32) -> Place {
        let Some(p) = post_of(page, &self.posts, elem) else {
            return Place::Outside;
        };
        match slot(page, p, elem).filter(|_| elem != p) {
            Some(s) if self.body_slots.binary_search(&s).is_ok() => Place::Body,
            Some(s) if self.furniture_slots.binary_search(&s).is_ok() => Place::Furniture,
            _ => Place::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{ExtractConfig, extract};

    fn post(user: &str, body: &str) -> String {
        format!(
            "<div class=\"msg row1\"><div class=\"who\"><a href=/u/{user}>{user}</a><br>Posts: 12<br>\
             Joined: 2019<ul><li><a href=/b>Gold member badge</a></li><li><a href=/t>Top \
             contributor of the year</a></li><li><a href=/m>Send a private message</a></li>\
             <li><a href=/a>View all posts by {user}</a></li></ul></div>\
             <div class=\"said\"><p>{body}</p></div>\
             <div class=\"tools\"><a href=/r>Reply</a> <a href=/q>Quote</a></div></div>"
        )
    }

    #[test]
    fn one_long_post_does_not_hide_the_thread() {
        let long = "The first post explains the whole problem at length, with every detail of the \
                    setup, what was tried, what happened and why none of it worked in the end. "
            .repeat(4);
        let replies = [
            "Have you tried turning the power off for a full minute before restarting it?",
            "Same here, it started after the last update and a reset did not help.",
            "Thanks, that fixed it.",
        ];
        let mut posts = post("ann", &long);
        for (i, r) in replies.iter().enumerate() {
            posts += &post(&format!("user{i}"), r);
        }
        let html = format!(
            "<html><body><div class=menu><a href=/>Home</a> <a href=/f>Forums</a></div>\
             <div id=thread>{posts}</div><div class=foot>© 2024 Example Board</div></body></html>"
        );
        let e = extract(&html, &ExtractConfig::default());
        for r in replies {
            assert!(e.text.contains(r), "lost {r:?}:\n{}", e.text);
        }
        assert!(!e.text.contains("Joined"), "{}", e.text);
        assert!(!e.text.contains("Quote"), "{}", e.text);
    }
}
