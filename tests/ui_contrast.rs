//! The wizard stays readable in the light and the dark theme: every text colour the stylesheet uses is checked
//! against the background it is drawn on, with WCAG 2's contrast ratio (4.5:1 for text, 3:1 for the focus ring).

use std::collections::BTreeMap;

/// The stylesheet without its comments.
fn stylesheet() -> String {
    let css =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../ui/src/style.css")).expect("ui/src/style.css");
    let mut out = String::new();
    let mut rest = css.as_str();
    while let Some(start) = rest.find("/*") {
        out.push_str(&rest[..start]);
        rest = rest[start..].find("*/").map(|end| &rest[start + end + 2..]).unwrap_or("");
    }
    out.push_str(rest);
    out
}

/// `--name: #rrggbb;` declarations of the first `:root` block from `marker` on.
fn variables(css: &str, marker: &str) -> BTreeMap<String, String> {
    let start = css.find(marker).expect(marker);
    let block = &css[start..];
    let block = &block[block.find(":root").expect(":root")..];
    let block = &block[block.find('{').unwrap() + 1..];
    let end = block.find('}').unwrap();
    block[..end]
        .split(';')
        .filter_map(|d| d.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .filter(|(k, v)| k.starts_with("--") && v.starts_with('#'))
        .collect()
}

fn luminance(hex: &str) -> f64 {
    let hex = hex.trim_start_matches('#');
    let channel = |i: usize| {
        let c = u8::from_str_radix(&hex[i..i + 2], 16).unwrap() as f64 / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(0) + 0.7152 * channel(2) + 0.0722 * channel(4)
}

fn ratio(a: &str, b: &str) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

#[test]
fn every_text_colour_reads_on_its_background_in_both_themes() {
    let css = stylesheet();
    let light = variables(&css, ":root");
    let mut dark = light.clone();
    dark.extend(variables(&css, "@media (prefers-color-scheme: dark)"));
    // (foreground, background, minimum) as the stylesheet pairs them.
    let pairs = [
        ("--text", "--bg", 4.5),
        ("--text", "--surface", 4.5),
        ("--muted", "--surface", 4.5),
        ("--muted", "--bg", 4.5),
        ("--ok", "--surface", 4.5),
        ("--warn", "--surface", 4.5),
        ("--bad", "--surface", 4.5),
        ("--op-text", "--surface", 4.5),
        ("--nc-text", "--surface", 4.5),
        ("--on-accent", "--op", 4.5),
        ("--on-accent", "--danger", 4.5),
        ("--nc", "--bg", 3.0),
    ];
    let mut failures = Vec::new();
    for (theme, vars) in [("light", &light), ("dark", &dark)] {
        for (fg, bg, min) in pairs {
            let (Some(f), Some(b)) = (vars.get(fg), vars.get(bg)) else {
                failures.push(format!("{theme}: {fg} or {bg} is not defined"));
                continue;
            };
            let r = ratio(f, b);
            if r < min {
                failures.push(format!("{theme}: {fg} {f} on {bg} {b} is {r:.2}:1, needs {min}:1"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The fixed-colour banners.
    assert!(ratio("#5c4400", "#fff4d6") >= 4.5 && ratio("#6b1a12", "#fde7e4") >= 4.5);
}
