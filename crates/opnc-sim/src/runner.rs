//! Serves a simulator on loopback with what tests need beyond the API itself: injected latency per
//! request, faults for the n-th matching request (a status, a delay, or a dropped connection), and a log
//! of what each request carried.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Body;
use axum::Router;
use http::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Notify};
use tower::ServiceExt;

/// Requests carrying this header are one simulator calling the other: they are never delayed, so a
/// benchmark's latency applies only to what the tool itself sends.
pub const INTERNAL_HEADER: &str = "x-opnc-sim-internal";

/// What a fault does to the request it hits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultAction {
    /// Answer with this status and JSON body instead of handling the request.
    Status { status: u16, body: String },
    /// Wait this long, then handle the request normally.
    Delay(Duration),
    /// Close the connection without any answer.
    Drop,
}

/// A fault for the `nth` request (counting from 1, from when the fault is added) whose method and path match.
#[derive(Debug, Clone)]
pub struct Fault {
    pub method: Option<http::Method>,
    /// Matches when the request path contains this text.
    pub path_contains: String,
    pub nth: u32,
    pub action: FaultAction,
    /// Also hit every matching request after the n-th.
    pub repeat: bool,
}

impl Fault {
    pub fn on(method: http::Method, path_contains: &str, nth: u32, action: FaultAction) -> Self {
        Self { method: Some(method), path_contains: path_contains.into(), nth, action, repeat: false }
    }
}

/// One request as the simulator received it. Authorization is recorded only as its scheme.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub authorization_scheme: Option<String>,
    pub user_agent: Option<String>,
    pub internal: bool,
}

#[derive(Debug, Default)]
struct ControlState {
    faults: Vec<(Fault, u32)>,
    latency: Duration,
    log: Vec<RequestRecord>,
}

/// Test controls shared by the server tasks.
#[derive(Debug, Clone, Default)]
pub struct Control(Arc<Mutex<ControlState>>);

impl Control {
    fn lock(&self) -> MutexGuard<'_, ControlState> {
        // A test that panicked while holding the lock must not hide later assertions.
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn add_fault(&self, fault: Fault) {
        self.lock().faults.push((fault, 0));
    }

    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// Added before every request that is not simulator-internal.
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    pub fn requests(&self) -> Vec<RequestRecord> {
        self.lock().log.clone()
    }

    pub fn clear_requests(&self) {
        self.lock().log.clear();
    }

    /// Records the request and decides what happens before it is handled.
    fn admit(&self, request: &Request<Body>) -> (Duration, Option<FaultAction>) {
        let internal = request.headers().contains_key(INTERNAL_HEADER);
        let header =
            |name: http::HeaderName| request.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let mut state = self.lock();
        state.log.push(RequestRecord {
            method: request.method().to_string(),
            path: request.uri().path().to_owned(),
            query: request.uri().query().map(str::to_owned),
            authorization_scheme: header(http::header::AUTHORIZATION)
                .map(|a| a.split(' ').next().unwrap_or_default().to_owned()),
            user_agent: header(http::header::USER_AGENT),
            internal,
        });
        let mut action = None;
        for (fault, seen) in state.faults.iter_mut() {
            let method_ok = fault.method.as_ref().is_none_or(|m| m == request.method());
            if method_ok && request.uri().path().contains(&fault.path_contains) {
                *seen += 1;
                if *seen == fault.nth || (fault.repeat && *seen > fault.nth) {
                    action = Some(fault.action.clone());
                    break;
                }
            }
        }
        let latency = if internal { Duration::ZERO } else { state.latency };
        (latency, action)
    }
}

/// A running simulator. Dropping it stops the server.
#[derive(Debug)]
pub struct Running {
    pub addr: SocketAddr,
    pub control: Control,
    _shutdown: oneshot::Sender<()>,
}

impl Running {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

/// Binds `addr` (port 0 for any free port) and serves `router` until the returned handle is dropped.
pub async fn serve(router: Router, addr: SocketAddr) -> std::io::Result<Running> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let control = Control::default();
    let (shutdown, mut stopped) = oneshot::channel::<()>();
    let task_control = control.clone();
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    tokio::spawn(serve_connection(stream, router.clone(), task_control.clone()));
                }
            }
        }
    });
    Ok(Running { addr, control, _shutdown: shutdown })
}

async fn serve_connection(stream: tokio::net::TcpStream, router: Router, control: Control) {
    let kill = Arc::new(Notify::new());
    let service_kill = kill.clone();
    let service = hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
        let router = router.clone();
        let control = control.clone();
        let kill = service_kill.clone();
        async move {
            let request = request.map(Body::new);
            let (latency, fault) = control.admit(&request);
            if !latency.is_zero() {
                tokio::time::sleep(latency).await;
            }
            match fault {
                Some(FaultAction::Status { status, body }) => {
                    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                    let response = Response::builder()
                        .status(status)
                        .header(http::header::CONTENT_TYPE, "application/json; charset=utf-8")
                        .body(Body::from(body))
                        .unwrap_or_default();
                    return Ok::<_, Infallible>(response);
                }
                Some(FaultAction::Delay(d)) => tokio::time::sleep(d).await,
                Some(FaultAction::Drop) => {
                    kill.notify_one();
                    std::future::pending::<()>().await;
                }
                None => {}
            }
            let response = router.oneshot(request).await.unwrap_or_else(|never| match never {});
            Ok::<_, Infallible>(response)
        }
    });
    let connection = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = connection => {}
        _ = kill.notified() => {}
    }
}
