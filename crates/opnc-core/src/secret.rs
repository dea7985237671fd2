//! Secrets that cannot leak by accident: they never print, never serialize and never show in `Debug`.
//!
//! Tokens may come *in* (deserialize), so a UI or a profile file can hand them over, but nothing can send
//! them back out except an explicit [`Sensitive::expose`] at the one place that puts them on the wire.

use std::fmt;

/// A value that must never reach a log, a report, an error message or a file.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Sensitive<T>(T);

/// The common case: a password, an app password, an OAuth client secret or an API token.
pub type SecretString = Sensitive<String>;

impl<T> Sensitive<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The secret itself. Call this only where it goes on the wire or into the keyring.
    pub fn expose(&self) -> &T {
        &self.0
    }

    pub fn into_exposed(self) -> T {
        self.0
    }
}

impl From<String> for SecretString {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for SecretString {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> fmt::Display for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

impl<T> serde::Serialize for Sensitive<T> {
    /// Refuses: a secret that reached a serializer is a bug, and failing loudly (without the value) beats
    /// writing it into a report or an IPC message.
    fn serialize<S: serde::Serializer>(&self, _serializer: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("a secret value cannot be serialized"))
    }
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Sensitive<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Sensitive)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_value() {
        let secret = SecretString::from("hunter2-very-secret");
        assert_eq!(format!("{secret}"), "<redacted>");
        assert_eq!(format!("{secret:?}"), "<redacted>");
        assert_eq!(format!("{:?}", Some(&secret)), "Some(<redacted>)");
    }

    #[test]
    fn refuses_to_serialize_but_deserializes() {
        let secret = SecretString::from("hunter2-very-secret");
        let err = serde_json::to_string(&secret).expect_err("must refuse");
        assert!(!err.to_string().contains("hunter2"));
        let back: SecretString = serde_json::from_str("\"abc\"").expect("deserializes");
        assert_eq!(back.expose(), "abc");
    }
}
