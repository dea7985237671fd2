//! TLS as this machine sees each server: the certificate chain the server sends, whether the verifier the clients
//! use (the operating system's, as reqwest's) accepts it, and each certificate's names and validity. What the
//! other server sees is a separate matter (Nextcloud's PHP/cURL and OpenProject's Ruby use their own trust stores
//! and do not fetch missing intermediates as browsers and some operating systems do), so a chain that is complete
//! only here is named too.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::error::{Server, TlsProblem};
use crate::findings::{Finding, FindingCode as C, Severity};
use crate::said;
use crate::ServerUrl;

/// A certificate expiring within this many days is named while it still works.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

/// Whom the check trusts: the operating system's verifier (as the clients do), or given roots (a private CA).
#[derive(Clone)]
pub struct Trust(Arc<dyn ServerCertVerifier>);

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Trust")
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

impl Trust {
    /// The operating system's trust, through the verifier reqwest uses for every request.
    pub fn system() -> Result<Self, String> {
        rustls_platform_verifier::Verifier::new(provider())
            .map(|v| Self(Arc::new(v)))
            .map_err(|e| format!("the system's certificate verifier could not be loaded: {e}"))
    }

    /// Only these roots (a private certificate authority).
    pub fn roots(roots: Vec<CertificateDer<'static>>) -> Result<Self, String> {
        let mut store = rustls::RootCertStore::empty();
        for root in roots {
            store.add(root).map_err(|e| format!("a root certificate could not be read: {e}"))?;
        }
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider())
            .build()
            .map(|v| Self(v as Arc<dyn ServerCertVerifier>))
            .map_err(|e| format!("the verifier could not be built: {e}"))
    }
}

/// One certificate of a chain, as far as the checks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFacts {
    pub subject: String,
    pub issuer: String,
    /// The DNS names and IP addresses it is for (subject alternative names).
    pub names: Vec<String>,
    /// Unix time.
    pub not_after: i64,
}

impl CertificateFacts {
    fn read(der: &CertificateDer<'_>) -> Option<Self> {
        use x509_parser::extensions::GeneralName;
        let (_, cert) = x509_parser::parse_x509_certificate(der.as_ref()).ok()?;
        let names = cert
            .subject_alternative_name()
            .ok()
            .flatten()
            .map(|san| {
                san.value
                    .general_names
                    .iter()
                    .filter_map(|n| match n {
                        GeneralName::DNSName(d) => Some((*d).to_owned()),
                        GeneralName::IPAddress(ip) => match ip.len() {
                            4 => Some(std::net::Ipv4Addr::from(<[u8; 4]>::try_from(*ip).ok()?).to_string()),
                            16 => Some(std::net::Ipv6Addr::from(<[u8; 16]>::try_from(*ip).ok()?).to_string()),
                            _ => None,
                        },
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(Self {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            names,
            not_after: cert.validity().not_after.timestamp(),
        })
    }

    pub fn self_signed(&self) -> bool {
        self.subject == self.issuer
    }
}

/// What one TLS handshake showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsObservation {
    /// As the server sent it, its own certificate first.
    pub chain: Vec<CertificateFacts>,
    /// What the verifier said (`None`: trusted).
    pub problem: Option<TlsProblem>,
}

/// Records the chain and the verdict, and lets the handshake finish: nothing is sent over this connection.
#[derive(Debug)]
struct Recording {
    trust: Arc<dyn ServerCertVerifier>,
    seen: Mutex<Option<(Vec<CertificateDer<'static>>, Option<TlsProblem>)>>,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = self.trust.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now);
        let chain = std::iter::once(end_entity).chain(intermediates).map(|c| c.clone().into_owned()).collect();
        let problem = verdict.err().map(|e| crate::http::tls_problem(&e));
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = Some((chain, problem));
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.trust.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.trust.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.trust.supported_verify_schemes()
    }
}

/// One handshake with the server of an `https` address. `None` for plain http, or when no handshake came about
/// (the server is unreachable: the clients' own requests say why).
pub async fn observe(url: &ServerUrl, trust: &Trust, timeout: Duration) -> Option<TlsObservation> {
    let url = url.url();
    if url.scheme() != "https" {
        return None;
    }
    let host = url.host_str()?.trim_start_matches('[').trim_end_matches(']').to_owned();
    let port = url.port_or_known_default()?;
    let recording = Arc::new(Recording { trust: trust.0.clone(), seen: Mutex::new(None) });
    let config = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .ok()?
        .dangerous()
        .with_custom_certificate_verifier(recording.clone())
        .with_no_client_auth();
    let name = ServerName::try_from(host.clone()).ok()?;
    let handshake = async {
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await.ok()?;
        tokio_rustls::TlsConnector::from(Arc::new(config)).connect(name, tcp).await.ok()
    };
    // The handshake's own outcome does not matter: the verifier saw the chain before it ended.
    let _ = tokio::time::timeout(timeout, handshake).await;
    let (chain, problem) = recording.seen.lock().unwrap_or_else(|p| p.into_inner()).take()?;
    Some(TlsObservation { chain: chain.iter().filter_map(CertificateFacts::read).collect(), problem })
}

fn date(unix: i64) -> String {
    x509_parser::time::ASN1Time::from_timestamp(unix)
        .ok()
        .map(|t| t.to_datetime().date().to_string())
        .unwrap_or_else(|| unix.to_string())
}

/// The findings for one server's observation at `now` (Unix time).
pub fn findings(server: Server, url: &ServerUrl, seen: &TlsObservation, now: i64) -> Vec<Finding> {
    let Some(leaf) = seen.chain.first() else {
        return Vec::new();
    };
    let host = url.url().host_str().unwrap_or_default().to_owned();
    let mut out = Vec::new();
    let evidence = format!(
        "{host}: {} (issuer {}), valid until {}, {} certificate(s) sent",
        leaf.subject,
        leaf.issuer,
        date(leaf.not_after),
        seen.chain.len()
    );
    let finding = |code, severity, message| Finding::new(code, severity, Some(server), message).evidence(&evidence);
    match &seen.problem {
        Some(TlsProblem::Expired) => out.push(
            finding(
                C::CertificateExpired,
                Severity::Blocker,
                said!("fm-certificate_expired", host = &host, date = date(leaf.not_after)).server("server", server),
            )
            .fix(said!("ff-certificate_expired")),
        ),
        Some(TlsProblem::WrongName) => out.push(
            finding(
                C::CertificateNameMismatch,
                Severity::Blocker,
                said!("fm-certificate_name_mismatch", host = &host, names = leaf.names.join(", "))
                    .server("server", server),
            )
            .fix(said!("ff-certificate_name_mismatch", host = &host)),
        ),
        _ => {}
    }
    // Only the server's own certificate, from a certificate authority: the intermediate is missing. Browsers
    // and some systems fetch it themselves; the other server's PHP or Ruby does not.
    if seen.chain.len() == 1 && !leaf.self_signed() {
        let trusted_here = seen.problem.is_none();
        out.push(
            finding(
                C::CertificateChainIncomplete,
                if trusted_here { Severity::Warning } else { Severity::Blocker },
                if trusted_here {
                    said!("fm-certificate_chain_incomplete_here_complete", host = &host, issuer = &leaf.issuer)
                } else {
                    said!("fm-certificate_chain_incomplete", host = &host, issuer = &leaf.issuer)
                }
                .server("server", server),
            )
            .fix(said!("ff-certificate_chain_incomplete")),
        );
    }
    let days_left = (leaf.not_after - now).div_euclid(86_400);
    if seen.problem.is_none() && days_left <= EXPIRY_WARNING_DAYS {
        out.push(
            finding(
                C::CertificateExpiresSoon,
                Severity::Warning,
                said!(
                    "fm-certificate_expires_soon",
                    host = &host,
                    days = days_left.max(0),
                    date = date(leaf.not_after)
                )
                .server("server", server),
            )
            .fix(said!("ff-certificate_expires_soon")),
        );
    }
    out
}
