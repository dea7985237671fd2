//! The temporary Nextcloud app passwords this run made: revoked when the command ends, and also when it is
//! interrupted with Ctrl-C (a kill -9 cannot be caught; such an app password stays until the admin removes it in
//! Nextcloud's security settings, where it is named after the assistant).

use std::sync::Mutex;
use std::sync::Once;
use std::time::Duration;

use opnc_core::nextcloud_session::{AppPasswordOrigin, NextcloudSession};

static OPEN: Mutex<Vec<(u64, NextcloudSession)>> = Mutex::new(Vec::new());
static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
static WATCH_CTRL_C: Once = Once::new();

fn open() -> std::sync::MutexGuard<'static, Vec<(u64, NextcloudSession)>> {
    OPEN.lock().unwrap_or_else(|p| p.into_inner())
}

/// Notes a session whose app password must be revoked at the end; returns its ticket for `closed`.
pub fn opened(session: &NextcloudSession) -> Option<u64> {
    if session.origin() != AppPasswordOrigin::Temporary {
        return None;
    }
    let id = NEXT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    open().push((id, session.clone()));
    // From the first temporary app password on, Ctrl-C revokes before the process ends.
    WATCH_CTRL_C.call_once(|| {
        tokio::spawn(async {
            if tokio::signal::ctrl_c().await.is_ok() {
                close_all().await;
                eprintln!("\nopnc: {}", say!("cli-interrupted_revoked"));
                std::process::exit(130);
            }
        });
    });
    Some(id)
}

/// The session was closed by its command.
pub fn closed(ticket: Option<u64>) {
    if let Some(id) = ticket {
        open().retain(|(t, _)| *t != id);
    }
}

async fn close_all() {
    let sessions: Vec<NextcloudSession> = open().drain(..).map(|(_, s)| s).collect();
    for session in sessions {
        let _ = tokio::time::timeout(Duration::from_secs(5), session.close()).await;
    }
}

/// Takes the ticket of the session the core opens during a sign-in (`ConnectOptions::on_session`), so that Ctrl-C
/// revokes it from the first moment it exists.
#[derive(Default)]
pub struct Ticket(Mutex<Option<u64>>);

impl Ticket {
    pub fn tell(&self, session: &NextcloudSession) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = opened(session);
    }

    pub fn take(self) -> Option<u64> {
        self.0.into_inner().unwrap_or_else(|p| p.into_inner())
    }
}
