//! Server URLs as the admin types them, normalised once so every request and every comparison agrees.

use std::fmt;
use std::net::IpAddr;

use url::{Host, Url};

/// What the admin has allowed for plain-http servers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UrlPolicy {
    /// Plain http to a host that is not loopback. Off by default: OAuth secrets would cross the network in
    /// clear text, and OpenProject itself refuses non-https storage hosts that are not loopback.
    pub allow_insecure_http: bool,
}

/// Why a typed URL cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlProblem {
    #[error("the URL is empty")]
    Empty,
    #[error("the URL has no scheme; did you mean {suggestion}?")]
    MissingScheme { suggestion: String },
    #[error("the scheme {scheme:?} is not supported; use https:// (or http:// for a local test server)")]
    UnsupportedScheme { scheme: String },
    #[error("the URL is not valid: {reason}")]
    Malformed { reason: String },
    #[error("the URL contains a user name or password; sign in separately instead")]
    CredentialsInUrl,
    #[error("the URL has a query or fragment ({part}); give the server's base address only")]
    QueryOrFragment { part: String },
    #[error("the URL uses plain http to {host}; use https, or allow insecure http explicitly")]
    InsecureHttp { host: String },
}

/// A normalised server base URL: http(s), a host, an optional sub-path (`https://host/nextcloud`), no
/// trailing slash, no query, no fragment, no credentials.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ServerUrl(Url);

/// Plans, jobs and compensations keep their addresses typed; on disk (and over IPC) they are the plain string.
impl serde::Serialize for ServerUrl {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A recorded address is read back as it was checked when recorded (plain http was allowed then, or it would
/// not be there); one that does not parse makes the whole record unreadable, never a guessed address.
impl<'de> serde::Deserialize<'de> for ServerUrl {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        ServerUrl::parse(&text, UrlPolicy { allow_insecure_http: true })
            .map_err(|e| serde::de::Error::custom(format!("not a server address: {text:?} ({e:?})")))
    }
}

impl ServerUrl {
    pub fn parse(input: &str, policy: UrlPolicy) -> Result<Self, UrlProblem> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(UrlProblem::Empty);
        }
        if !trimmed.contains("://") {
            let looks_like_host = trimmed.split('/').next().is_some_and(|h| !h.is_empty() && !h.contains(' '));
            if looks_like_host {
                return Err(UrlProblem::MissingScheme {
                    suggestion: format!("https://{}", trimmed.trim_end_matches('/')),
                });
            }
            return Err(UrlProblem::Malformed { reason: "no scheme and no host".into() });
        }
        let mut url = Url::parse(trimmed).map_err(|e| UrlProblem::Malformed { reason: e.to_string() })?;
        match url.scheme() {
            "http" | "https" => {}
            other => return Err(UrlProblem::UnsupportedScheme { scheme: other.to_owned() }),
        }
        if url.host().is_none() {
            return Err(UrlProblem::Malformed { reason: "no host".into() });
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(UrlProblem::CredentialsInUrl);
        }
        if let Some(q) = url.query() {
            return Err(UrlProblem::QueryOrFragment { part: format!("?{q}") });
        }
        if let Some(f) = url.fragment() {
            return Err(UrlProblem::QueryOrFragment { part: format!("#{f}") });
        }
        let parsed = Self(url.clone());
        if url.scheme() == "http" && !parsed.is_loopback() && !policy.allow_insecure_http {
            return Err(UrlProblem::InsecureHttp { host: parsed.host_port() });
        }
        // Collapse duplicate and trailing slashes so `https://h/nc/` and `https://h/nc` are one server.
        let path: Vec<&str> = url.path().split('/').filter(|s| !s.is_empty()).collect();
        url.set_path(&path.join("/"));
        Ok(Self(url))
    }

    /// The base URL without a trailing slash (`https://cloud.example.com` or `https://h/nextcloud`).
    pub fn as_str(&self) -> &str {
        self.0.as_str().trim_end_matches('/')
    }

    /// The base URL with exactly one trailing slash, as OpenProject stores a storage host.
    pub fn with_trailing_slash(&self) -> String {
        format!("{}/", self.as_str())
    }

    /// An endpoint below the base, keeping any sub-path: `join("status.php")` on `https://h/nc`
    /// gives `https://h/nc/status.php`.
    pub fn join(&self, path: &str) -> Url {
        let joined = format!("{}/{}", self.as_str(), path.trim_start_matches('/'));
        // The base is a valid URL and `path` is a fixed relative path chosen by this crate.
        Url::parse(&joined).unwrap_or_else(|_| self.0.clone())
    }

    pub fn url(&self) -> &Url {
        &self.0
    }

    pub fn scheme(&self) -> &str {
        self.0.scheme()
    }

    /// `host` or `host:port` (the port only when it is not the scheme's default).
    pub fn host_port(&self) -> String {
        let host = self.0.host_str().unwrap_or_default();
        match self.0.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        }
    }

    pub fn is_loopback(&self) -> bool {
        match self.0.host() {
            Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost") || d.ends_with(".localhost"),
            Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
            Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
            None => false,
        }
    }

    /// Whether two URLs name the same server, ignoring trailing slashes and default ports.
    pub fn same_server(&self, other: &str) -> bool {
        ServerUrl::parse(other, UrlPolicy { allow_insecure_http: true })
            .map(|o| o.as_str() == self.as_str())
            .unwrap_or(false)
    }
}

impl fmt::Display for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ServerUrl({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strict(s: &str) -> Result<ServerUrl, UrlProblem> {
        ServerUrl::parse(s, UrlPolicy::default())
    }

    #[test]
    fn normalises_trailing_slashes_and_sub_paths() {
        assert_eq!(strict("https://cloud.example.com/").unwrap().as_str(), "https://cloud.example.com");
        assert_eq!(
            strict(" https://cloud.example.com//nextcloud// ").unwrap().as_str(),
            "https://cloud.example.com/nextcloud"
        );
        let sub = strict("https://h.example/nextcloud").unwrap();
        assert_eq!(sub.join("status.php").as_str(), "https://h.example/nextcloud/status.php");
        assert_eq!(
            sub.join("/ocs/v2.php/cloud/capabilities").as_str(),
            "https://h.example/nextcloud/ocs/v2.php/cloud/capabilities"
        );
        assert_eq!(sub.with_trailing_slash(), "https://h.example/nextcloud/");
        assert_eq!(strict("HTTPS://Cloud.Example.COM:443").unwrap().as_str(), "https://cloud.example.com");
    }

    #[test]
    fn requires_a_scheme_and_suggests_one() {
        assert_eq!(
            strict("cloud.example.com/"),
            Err(UrlProblem::MissingScheme { suggestion: "https://cloud.example.com".into() })
        );
        assert!(matches!(strict("ftp://x.example"), Err(UrlProblem::UnsupportedScheme { .. })));
        assert_eq!(strict("   "), Err(UrlProblem::Empty));
    }

    #[test]
    fn refuses_plain_http_unless_loopback_or_allowed() {
        assert!(matches!(strict("http://cloud.example.com"), Err(UrlProblem::InsecureHttp { .. })));
        assert!(strict("http://127.0.0.1:8080").is_ok());
        assert!(strict("http://localhost:3000").is_ok());
        assert!(strict("http://[::1]:3000").is_ok());
        let allowed = ServerUrl::parse("http://cloud.example.com", UrlPolicy { allow_insecure_http: true });
        assert!(allowed.is_ok());
    }

    #[test]
    fn refuses_credentials_queries_and_fragments() {
        assert_eq!(strict("https://admin:pw@h.example"), Err(UrlProblem::CredentialsInUrl));
        assert!(matches!(strict("https://h.example/?a=1"), Err(UrlProblem::QueryOrFragment { .. })));
        assert!(matches!(strict("https://h.example/#x"), Err(UrlProblem::QueryOrFragment { .. })));
    }

    #[test]
    fn compares_servers_ignoring_trailing_slash() {
        let a = strict("https://cloud.example.com").unwrap();
        assert!(a.same_server("https://cloud.example.com/"));
        assert!(!a.same_server("http://cloud.example.com/"));
        assert!(!a.same_server("https://cloud.example.com/nc"));
    }
}
