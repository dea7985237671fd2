//! Reads the few things the assistant needs from OpenProject's HTML: elements with their attributes (meta tags,
//! form fields, turbo-stream targets) and visible text. Parsed with an HTML5 parser (html5ever, through
//! dom_query), so comments, `<script>` text, character references and broken markup are whatever a browser makes
//! of them — markup inside a comment or a script is never mistaken for a field.

use dom_query::{Document, NodeRef};

/// One element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Lower case.
    pub name: String,
    /// Decoded values, in document order.
    pub attrs: Vec<(String, String)>,
}

impl Tag {
    /// The decoded value of an attribute (names are matched case-insensitively).
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str, value: &str) -> bool {
        self.attr(name) == Some(value)
    }
}

/// A whole page as a document, anything else as a fragment of a page's body (a turbo-stream template, a form).
fn parse(html: &str) -> Document {
    let head: String = html.trim_start().chars().take(64).collect::<String>().to_ascii_lowercase();
    if head.starts_with("<!doctype") || head.starts_with("<html") {
        Document::from(html)
    } else {
        Document::fragment(html)
    }
}

fn tag(node: &NodeRef<'_>) -> Tag {
    Tag {
        name: node.node_name().map(|n| n.to_ascii_lowercase()).unwrap_or_default(),
        attrs: node.attrs().iter().map(|a| (a.name.local.to_string(), a.value.to_string())).collect(),
    }
}

/// Every element in document order.
pub fn tags(html: &str) -> Vec<Tag> {
    let doc = parse(html);
    doc.root().descendants_it().filter(|n| n.is_element()).map(|n| tag(&n)).collect()
}

/// The visible text of the first element `wanted` picks (its descendants' text, whitespace collapsed). Only that
/// element's text is gathered, not every element's.
pub fn first_text(html: &str, wanted: impl Fn(&Tag) -> bool) -> Option<String> {
    let doc = parse(html);
    let node = doc.root().descendants_it().filter(|n| n.is_element()).find(|n| wanted(&tag(n)))?;
    Some(collapse(&node.text()))
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The visible text of a fragment: markup removed, character references decoded, whitespace collapsed.
pub fn text(fragment: &str) -> String {
    let doc = parse(fragment);
    // Script and style text is not visible.
    doc.select("script, style, template").remove();
    collapse(&doc.root().text())
}

/// `<meta name="…" content="…">`.
pub fn meta(html: &str, name: &str) -> Option<Tag> {
    tags(html).into_iter().find(|t| t.name == "meta" && t.has("name", name))
}

/// One `<turbo-stream>` block: its action, target and the HTML inside its `<template>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurboStream {
    pub action: String,
    pub target: String,
    pub template: String,
}

/// The blocks of a turbo-stream answer, in order.
pub fn turbo_streams(body: &str) -> Vec<TurboStream> {
    let doc = parse(body);
    let streams = doc.select("turbo-stream");
    streams
        .iter()
        .map(|stream| {
            let template = stream.select("template");
            // A template's content is a fragment of its own, serialized with the element only.
            let template = match template.is_empty() {
                true => stream.inner_html().to_string(),
                false => {
                    let outer = template.html().to_string();
                    let inner = outer.split_once('>').map(|(_, rest)| rest).unwrap_or_default();
                    inner.strip_suffix("</template>").unwrap_or(inner).to_owned()
                }
            };
            TurboStream {
                action: stream.attr("action").map(|a| a.to_string()).unwrap_or_default(),
                target: stream.attr("target").map(|a| a.to_string()).unwrap_or_default(),
                template,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_attributes_in_every_quoting() {
        let t: Vec<_> = tags(r#"<input type=hidden name='a b' value="x&amp;y&#39;&quot;&#x41;" readonly>"#)
            .into_iter()
            .filter(|t| t.name == "input")
            .collect();
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].attr("type"), Some("hidden"));
        assert_eq!(t[0].attr("name"), Some("a b"));
        assert_eq!(t[0].attr("value"), Some("x&y'\"A"));
        assert_eq!(t[0].attr("readonly"), Some(""));
    }

    #[test]
    fn skips_comments_and_scripts() {
        let html = r#"<!-- <input id="x" value="comment"> --><script>var s = '<input id="x" value="script">';</script><input id="x" value="real">"#;
        let inputs: Vec<_> = tags(html).into_iter().filter(|t| t.name == "input").collect();
        assert_eq!(inputs.len(), 1);
        assert_eq!(inputs[0].attr("value"), Some("real"));
    }

    #[test]
    fn splits_turbo_streams() {
        let body = r#"<turbo-stream action="update" target="a"><template><p>one</p></template></turbo-stream>
<turbo-stream action="flash" target="b"><template><div>Project not found.</div></template></turbo-stream>"#;
        let streams = turbo_streams(body);
        assert_eq!(streams.len(), 2);
        assert_eq!((streams[0].action.as_str(), streams[0].target.as_str()), ("update", "a"));
        assert_eq!(text(&streams[1].template), "Project not found.");
    }

    #[test]
    fn a_whole_page_and_an_error_box() {
        let page = r#"<!DOCTYPE html><html><head><meta name="csrf-token" content="t&amp;1"></head>
<body><div class="errorExplanation"><p>Name <b>has already</b> been taken.</p></div></body></html>"#;
        assert_eq!(meta(page, "csrf-token").and_then(|t| t.attr("content").map(str::to_owned)), Some("t&1".into()));
        let error = first_text(page, |t| t.has("class", "errorExplanation")).unwrap();
        assert_eq!(error, "Name has already been taken.");
    }

    #[test]
    fn text_drops_markup() {
        assert_eq!(text("<div class=x>Please <b>select</b>&nbsp;a project.</div>"), "Please select a project.");
    }

    #[test]
    fn tolerates_broken_markup() {
        // `<0=''¡` panicked the hand-written scanner once (an empty attribute name stepped into a character).
        for html in
            ["<", "<input", "<input value=\"x", "&#99999999;", "<a =b>", "<<<>>>", "<!--", "<0=''¡", "<a ='x'é=ü>"]
        {
            let _ = tags(html);
            let _ = text(html);
        }
    }
}
