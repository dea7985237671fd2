//! Server versions as semver, never compared as strings (`"9.0" > "14.2"` as strings).

use semver::Version;

/// Parses what servers report: `17.1.0`, `34.0.1.2` (Nextcloud's four parts), `3.1.1`, `16.0.0-rc1`, `v2.6.3`.
/// Missing minor or patch parts count as 0. Returns `None` when no leading number is present.
pub fn parse_server_version(text: &str) -> Option<Version> {
    let text = text.trim().trim_start_matches(['v', 'V']);
    let (numbers, pre) = match text.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    };
    let mut parts = numbers.split('.').filter(|p| !p.is_empty()).map(|p| p.parse::<u64>().ok());
    let major = parts.next()??;
    let minor = parts.next().flatten().unwrap_or(0);
    let patch = parts.next().flatten().unwrap_or(0);
    let mut version = Version::new(major, minor, patch);
    let pre = pre.trim_start_matches(['-', '+', '.', ' ']);
    if !pre.is_empty() {
        let cleaned: String = pre.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-').collect();
        if let Ok(p) = semver::Prerelease::new(cleaned.trim_matches('.')) {
            version.pre = p;
        }
    }
    Some(version)
}

/// `major.minor.patch` shorthand for compatibility tables.
pub const fn v(major: u64, minor: u64, patch: u64) -> Version {
    Version::new(major, minor, patch)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_forms_servers_send() {
        assert_eq!(parse_server_version("17.1.0"), Some(v(17, 1, 0)));
        assert_eq!(parse_server_version("34.0.1.2"), Some(v(34, 0, 1)));
        assert_eq!(parse_server_version("v2.6.3"), Some(v(2, 6, 3)));
        assert_eq!(parse_server_version("30"), Some(v(30, 0, 0)));
        let rc = parse_server_version("16.0.0-rc1").unwrap();
        assert_eq!((rc.major, rc.minor, rc.patch), (16, 0, 0));
        assert!(!rc.pre.is_empty());
        assert_eq!(parse_server_version(""), None);
        assert_eq!(parse_server_version("unknown"), None);
    }

    #[test]
    fn compares_numerically_not_lexically() {
        assert!(parse_server_version("9.0.0").unwrap() < parse_server_version("14.2.0").unwrap());
        assert!(parse_server_version("14.10.0").unwrap() > parse_server_version("14.2.0").unwrap());
    }
}
