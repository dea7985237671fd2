//! TLS as this machine sees a server: one loopback TLS server per scenario, each with exactly one thing wrong with
//! its certificate or chain (a private CA → intermediate → server certificate, made with rcgen), and the check
//! must name that thing with its fix.

mod common;

use std::time::Duration;

use opnc_core::error::{Server, TlsProblem};
use opnc_core::findings::{FindingCode as C, Severity};
use opnc_core::server_url::UrlPolicy;
use opnc_core::tls_check::{self, Trust};
use opnc_core::ServerUrl;
use rcgen::{BasicConstraints, CertificateParams, DistinguishedName, DnType, IsCa, Issuer, KeyPair};
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

const DAY: i64 = 86_400;

/// A name, the chain served and its key, the finding expected (code, severity), words of its message and fix.
type Scenario = (&'static str, Vec<CertificateDer<'static>>, KeyPair, C, Severity, &'static str, &'static str);

fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64
}

/// A private CA, an intermediate it signed, and what the intermediate signs.
struct Authority {
    root: CertificateDer<'static>,
    intermediate: CertificateDer<'static>,
    issuer: Issuer<'static, KeyPair>,
}

fn ca_params(name: &str) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, name);
    p.distinguished_name = dn;
    p
}

fn authority() -> Authority {
    let root_key = KeyPair::generate().unwrap();
    let root_params = ca_params("Test Root CA");
    let root = root_params.self_signed(&root_key).unwrap();
    let root_issuer = Issuer::new(root_params, root_key);
    let mid_key = KeyPair::generate().unwrap();
    let mid_params = ca_params("Test Intermediate CA");
    let intermediate = mid_params.signed_by(&mid_key, &root_issuer).unwrap();
    Authority {
        root: root.der().clone(),
        intermediate: intermediate.der().clone(),
        issuer: Issuer::new(mid_params, mid_key),
    }
}

/// A server certificate for `names`, valid from `from` to `until` (Unix times).
fn leaf(authority: &Authority, names: &[&str], from: i64, until: i64) -> (CertificateDer<'static>, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).unwrap();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, names[0]);
    p.distinguished_name = dn;
    p.not_before = x509_parser::time::ASN1Time::from_timestamp(from).unwrap().to_datetime();
    p.not_after = x509_parser::time::ASN1Time::from_timestamp(until).unwrap().to_datetime();
    (p.signed_by(&key, &authority.issuer).unwrap().der().clone(), key)
}

/// Serves handshakes with `chain` on loopback; the address to reach it by.
async fn serve(chain: Vec<CertificateDer<'static>>, key: KeyPair) -> ServerUrl {
    let port = common::tls_port(chain, PrivateKeyDer::Pkcs8(key.serialize_der().into())).await;
    ServerUrl::parse(&format!("https://localhost:{port}"), UrlPolicy::default()).unwrap()
}

async fn check(url: &ServerUrl, trust: &Trust) -> (tls_check::TlsObservation, Vec<opnc_core::findings::Finding>) {
    let seen = tls_check::observe(url, trust, Duration::from_secs(5)).await.expect("a handshake");
    let found = tls_check::findings(Server::Nextcloud, url, &seen, now());
    (seen, found)
}

#[tokio::test]
async fn each_certificate_problem_is_named_with_its_fix() {
    let ca = authority();
    let trust = Trust::roots(vec![ca.root.clone()]).unwrap();
    let t = now();

    // Healthy: the full chain, valid for 90 days.
    let (cert, key) = leaf(&ca, &["localhost"], t - DAY, t + 90 * DAY);
    let url = serve(vec![cert, ca.intermediate.clone()], key).await;
    let (seen, found) = check(&url, &trust).await;
    assert_eq!(seen.problem, None);
    assert_eq!(seen.chain.len(), 2);
    assert_eq!(seen.chain[0].names, vec!["localhost".to_owned()]);
    assert!(found.is_empty(), "healthy: {found:#?}");

    let scenarios: Vec<Scenario> = {
        let (soon, soon_key) = leaf(&ca, &["localhost"], t - 80 * DAY, t + 10 * DAY + 3600);
        let (other, other_key) = leaf(&ca, &["files.example.org", "cloud.example.org"], t - DAY, t + 90 * DAY);
        let (expired, expired_key) = leaf(&ca, &["localhost"], t - 90 * DAY, t - 2 * DAY);
        let (alone, alone_key) = leaf(&ca, &["localhost"], t - DAY, t + 90 * DAY);
        vec![
            (
                "expires in 10 days",
                vec![soon, ca.intermediate.clone()],
                soon_key,
                C::CertificateExpiresSoon,
                Severity::Warning,
                "expires in 10 days",
                "certbot renew --dry-run",
            ),
            (
                "for other names",
                vec![other, ca.intermediate.clone()],
                other_key,
                C::CertificateNameMismatch,
                Severity::Blocker,
                "it is for: files.example.org, cloud.example.org",
                "names localhost",
            ),
            (
                "expired two days ago",
                vec![expired, ca.intermediate.clone()],
                expired_key,
                C::CertificateExpired,
                Severity::Blocker,
                "expired on",
                "Renew the certificate",
            ),
            (
                "the intermediate missing",
                vec![alone],
                alone_key,
                C::CertificateChainIncomplete,
                Severity::Blocker,
                "without the intermediate certificate of “CN=Test Intermediate CA”",
                "fullchain.pem",
            ),
        ]
    };
    for (name, chain, key, code, severity, message, fix) in scenarios {
        let url = serve(chain, key).await;
        let (_, found) = check(&url, &trust).await;
        assert_eq!(found.len(), 1, "{name}: exactly one finding: {found:#?}");
        let f = &found[0];
        assert_eq!((f.code, f.severity), (code, severity), "{name}: {f:#?}");
        assert_eq!(f.server, Some(Server::Nextcloud), "{name}");
        assert!(f.message.contains(message), "{name}: {}", f.message);
        assert!(f.fix.as_deref().is_some_and(|x| x.contains(fix)), "{name}: {:?}", f.fix);
        assert!(f.evidence.contains("localhost"), "{name}: {:?}", f.evidence);
    }

    // The intermediate missing, but known here (as an OS that keeps or fetches intermediates): it works here, the
    // other server will probably not complete it, so a warning.
    let (alone, alone_key) = leaf(&ca, &["localhost"], t - DAY, t + 90 * DAY);
    let url = serve(vec![alone], alone_key).await;
    let completes_here = Trust::roots(vec![ca.root.clone(), ca.intermediate.clone()]).unwrap();
    let (seen, found) = check(&url, &completes_here).await;
    assert_eq!(seen.problem, None);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!((found[0].code, found[0].severity), (C::CertificateChainIncomplete, Severity::Warning));
    assert!(found[0].message.contains("this computer completes the chain itself"), "{}", found[0].message);

    // In German.
    let de = found[0].message_in(opnc_core::catalogue::Language::De);
    assert!(de.contains("Zwischenzertifikat"), "{de}");
}

#[tokio::test]
async fn the_system_trust_is_the_clients_and_plain_http_is_not_checked() {
    // A self-signed certificate under the operating system's trust: not trusted, and not an incomplete chain
    // (the clients' own requests name an untrusted certificate).
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_owned()]).unwrap().self_signed(&key).unwrap();
    let url = serve(vec![cert.der().clone()], key).await;
    let trust = Trust::system().unwrap();
    let (seen, found) = check(&url, &trust).await;
    assert_eq!(seen.problem, Some(TlsProblem::UnknownIssuer));
    assert!(found.is_empty(), "{found:#?}");

    let plain = ServerUrl::parse("http://127.0.0.1:1", UrlPolicy::default()).unwrap();
    assert!(tls_check::observe(&plain, &trust, Duration::from_secs(1)).await.is_none());
    // Nobody listening: no observation, no finding (the requests say the server cannot be reached).
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let nobody = ServerUrl::parse(&format!("https://localhost:{closed}"), UrlPolicy::default()).unwrap();
    assert!(tls_check::observe(&nobody, &trust, Duration::from_secs(2)).await.is_none());
}
