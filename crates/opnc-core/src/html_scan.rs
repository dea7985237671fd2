//! Reads the few things the assistant needs from OpenProject's HTML: start tags with their attributes (meta
//! tags, form fields, turbo-stream targets) and visible text. Comments and the raw text of `<script>`,
//! `<style>` and `<textarea>` are skipped, so markup inside them is never mistaken for a field. No DOM is built.

/// One start tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    /// Lower case.
    pub name: String,
    pub attrs: Vec<(String, String)>,
    /// Byte offsets of `<` and just after `>`.
    pub start: usize,
    pub end: usize,
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

/// Every start tag in document order.
pub fn tags(html: &str) -> Vec<Tag> {
    let bytes = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(offset) = html[i..].find('<') {
        let start = i + offset;
        let rest = &html[start..];
        if rest.starts_with("<!--") {
            i = rest.find("-->").map(|e| start + e + 3).unwrap_or(html.len());
            continue;
        }
        if rest.starts_with("</") || rest.starts_with("<!") || rest.starts_with("<?") {
            i = rest.find('>').map(|e| start + e + 1).unwrap_or(html.len());
            continue;
        }
        let name_len =
            rest[1..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == ':')).unwrap_or(rest.len() - 1);
        if name_len == 0 {
            i = start + 1;
            continue;
        }
        let name = rest[1..1 + name_len].to_ascii_lowercase();
        let (attrs, end) = attributes(html, start + 1 + name_len);
        out.push(Tag { name: name.clone(), attrs, start, end });
        i = end;
        if matches!(name.as_str(), "script" | "style" | "textarea") {
            let close = format!("</{name}");
            let lower = html[end..].to_ascii_lowercase();
            i = lower.find(&close).map(|e| end + e).unwrap_or(html.len());
        }
        debug_assert!(i <= bytes.len());
    }
    out
}

/// Attributes from `pos` to the end of the tag; returns them and the offset after `>`.
fn attributes(html: &str, mut pos: usize) -> (Vec<(String, String)>, usize) {
    let bytes = html.as_bytes();
    let mut attrs = Vec::new();
    loop {
        while pos < bytes.len() && (bytes[pos].is_ascii_whitespace() || bytes[pos] == b'/') {
            pos += 1;
        }
        if pos >= bytes.len() {
            return (attrs, bytes.len());
        }
        if bytes[pos] == b'>' {
            return (attrs, pos + 1);
        }
        let name_start = pos;
        while pos < bytes.len() && !bytes[pos].is_ascii_whitespace() && !matches!(bytes[pos], b'=' | b'>' | b'/') {
            pos += 1;
        }
        let name = html[name_start..pos].to_ascii_lowercase();
        while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        let mut value = String::new();
        if pos < bytes.len() && bytes[pos] == b'=' {
            pos += 1;
            while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
                pos += 1;
            }
            if pos < bytes.len() && (bytes[pos] == b'"' || bytes[pos] == b'\'') {
                let quote = bytes[pos] as char;
                let value_start = pos + 1;
                let value_end = html[value_start..].find(quote).map(|e| value_start + e).unwrap_or(html.len());
                value = decode_entities(&html[value_start..value_end]);
                pos = (value_end + 1).min(html.len());
            } else {
                let value_start = pos;
                while pos < bytes.len() && !bytes[pos].is_ascii_whitespace() && bytes[pos] != b'>' {
                    pos += 1;
                }
                value = decode_entities(&html[value_start..pos]);
            }
        }
        if !name.is_empty() {
            attrs.push((name, value));
        } else if pos == name_start {
            // No progress (cannot happen with the rules above, but never loop): step over one whole character,
            // never into the middle of one.
            pos += html[pos..].chars().next().map(char::len_utf8).unwrap_or(1);
        }
    }
}

/// HTML character references: the named ones Rails' `html_escape` produces, and numeric ones.
pub fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        // Bytes, not a string slice: the twelfth byte may sit inside a multi-byte character.
        let Some(semi) = rest.bytes().take(12).position(|b| b == b';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" | "#39" => Some('\''),
            "nbsp" => Some('\u{a0}'),
            _ if entity.starts_with("#x") || entity.starts_with("#X") => {
                u32::from_str_radix(&entity[2..], 16).ok().and_then(char::from_u32)
            }
            _ if entity.starts_with('#') => entity[1..].parse::<u32>().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The visible text of a fragment: tags removed, entities decoded, whitespace collapsed.
pub fn text(fragment: &str) -> String {
    let mut plain = String::new();
    let mut last = 0;
    for tag in tags(fragment) {
        plain.push_str(&fragment[last..tag.start]);
        plain.push(' ');
        last = tag.end;
    }
    plain.push_str(&fragment[last.min(fragment.len())..]);
    // Closing tags and comments are not start tags: drop what is left of them.
    let mut cleaned = String::new();
    let mut depth = 0;
    for c in plain.chars() {
        match c {
            '<' => depth += 1,
            '>' if depth > 0 => {
                depth -= 1;
                cleaned.push(' ');
            }
            _ if depth == 0 => cleaned.push(c),
            _ => {}
        }
    }
    decode_entities(&cleaned).split_whitespace().collect::<Vec<_>>().join(" ")
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
    let mut out = Vec::new();
    for tag in tags(body).into_iter().filter(|t| t.name == "turbo-stream") {
        let inner_end = body[tag.end..].find("</turbo-stream>").map(|e| tag.end + e).unwrap_or(body.len());
        let inner = &body[tag.end..inner_end];
        let template = match (inner.find("<template>"), inner.rfind("</template>")) {
            (Some(a), Some(b)) if b >= a + 10 => inner[a + 10..b].to_owned(),
            _ => inner.to_owned(),
        };
        out.push(TurboStream {
            action: tag.attr("action").unwrap_or_default().to_owned(),
            target: tag.attr("target").unwrap_or_default().to_owned(),
            template,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_attributes_in_every_quoting() {
        let t = tags(r#"<input type=hidden name='a b' value="x&amp;y&#39;&quot;&#x41;" readonly>"#);
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
    fn text_drops_markup() {
        assert_eq!(text("<div class=x>Please <b>select</b>&nbsp;a project.</div>"), "Please select a project.");
    }

    #[test]
    fn tolerates_broken_markup() {
        // `<0=''¡` panicked once: an empty attribute name stepped one byte into a two-byte character.
        for html in
            ["<", "<input", "<input value=\"x", "&#99999999;", "<a =b>", "<<<>>>", "<!--", "<0=''¡", "<a ='x'é=ü>"]
        {
            let _ = tags(html);
            let _ = text(html);
        }
    }
}
