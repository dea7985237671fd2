//! Serves a simulator on loopback with what tests need beyond the API itself: injected latency per
//! request, faults for the n-th matching request (a status, a delay, or a dropped connection), a log
//! of what each request carried, and (when switched on) what a real server spends: a small pool of workers
//! and server time per request.
//!
//! A handler runs to its end even when the client is gone — as PHP and Puma finish a request whose client
//! disconnected — so a write lands after the client that sent it died.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Body;
use axum::Router;
use http::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Notify, Semaphore};
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
    /// When it arrived: benchmarks read the rounds of requests a client sends from it.
    pub received: std::time::Instant,
}

/// The server time of one request, from what it carries (method, path, headers, body): the simulator decides
/// (a password to hash, a slow write). It is also where a simulator counts what it spent.
pub type RequestCost = Arc<dyn Fn(&http::Method, &str, &http::HeaderMap, &[u8]) -> Duration + Send + Sync>;

/// What a real server spends, when switched on: at most `workers` requests are handled at once (the others
/// wait, as at a PHP-FPM pool of 4), and each takes the time its `RequestCost` gives.
#[derive(Clone)]
struct CostModel {
    pool: Arc<Semaphore>,
}

#[derive(Default)]
struct ControlState {
    faults: Vec<(Fault, u32)>,
    latency: Duration,
    log: Vec<RequestRecord>,
    cost: Option<RequestCost>,
    model: Option<CostModel>,
}

impl std::fmt::Debug for ControlState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ControlState")
            .field("faults", &self.faults)
            .field("latency", &self.latency)
            .field("requests", &self.log.len())
            .field("cost_model", &self.model.is_some())
            .finish()
    }
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

    /// The simulator's account of what each request costs (always consulted, so it can count; the time is
    /// spent only while the cost model is on).
    pub fn set_request_cost(&self, cost: RequestCost) {
        self.lock().cost = Some(cost);
    }

    /// Switches on what a real server spends: `workers` requests at a time, each taking its server time. Off
    /// (`None`), requests are handled at once, so the suite stays fast.
    pub fn set_cost_model(&self, workers: Option<usize>) {
        self.lock().model = workers.map(|w| CostModel { pool: Arc::new(Semaphore::new(w.max(1))) });
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
            received: std::time::Instant::now(),
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

/// Handles one request the way a real server would under the cost model: waits for a worker, spends the
/// request's server time, then runs the handler. Runs as a task of its own, so it finishes even when the
/// client is gone.
async fn handle(router: Router, control: Control, request: Request<Body>) -> Response<Body> {
    let (cost, model) = {
        let state = control.lock();
        (state.cost.clone(), state.model.clone())
    };
    let Some(cost) = cost else {
        return router.oneshot(request).await.unwrap_or_else(|never| match never {});
    };
    // The body is read first (the cost may depend on it: a setup with project folders takes longer).
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, 16 * 1024 * 1024).await.unwrap_or_default();
    let spent = cost(&parts.method, parts.uri.path(), &parts.headers, &bytes);
    let request = Request::from_parts(parts, Body::from(bytes));
    let _worker = match &model {
        Some(m) => m.pool.clone().acquire_owned().await.ok(),
        None => None,
    };
    if model.is_some() && !spent.is_zero() {
        tokio::time::sleep(spent).await;
    }
    router.oneshot(request).await.unwrap_or_else(|never| match never {})
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
                Some(FaultAction::Drop) => {
                    kill.notify_one();
                    std::future::pending::<()>().await;
                }
                Some(FaultAction::Delay(_)) | None => {}
            }
            // A task of its own: a client that disconnects (or is killed) does not stop the handler, and the
            // write it was doing still lands, as on a real server. A delay fault is part of that work.
            let delay = match fault {
                Some(FaultAction::Delay(d)) => d,
                _ => Duration::ZERO,
            };
            let task = tokio::spawn(async move {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                handle(router, control, request).await
            });
            let response = task.await.unwrap_or_else(|_| {
                Response::builder().status(StatusCode::INTERNAL_SERVER_ERROR).body(Body::empty()).unwrap_or_default()
            });
            Ok::<_, Infallible>(response)
        }
    });
    let connection = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        _ = connection => {}
        _ = kill.notified() => {}
    }
}
