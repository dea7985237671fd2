//! Review and apply: the preflight and its plan, the apply of exactly the plan the admin was shown, and the
//! recovery of setups a crash left half done. The policies live here once: interrupted setups are rolled back
//! before the next apply; after a confirmation that may have taken hours, what the plan rests on is read again
//! and a changed plan is not applied; the account password is dropped once nothing needs it.

use std::sync::atomic::AtomicBool;

use serde::Serialize;

use super::{ConnectedPair, PairError};
use crate::error::ErrorView;
use crate::findings::{Finding, Severity};
use crate::setup::apply::{Outcome, Runner};
use crate::setup::journal::{Job, JobStatus, JobStore, UnreadableJob};
use crate::setup::preflight::{self, Facts};
use crate::setup::proof::Proof;
use crate::setup::{plan, Plan, SetupOptions};

/// Preflight and, when nothing blocks, the plan.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Review {
    pub findings: Vec<Finding>,
    pub plan: Option<Plan>,
    /// Setups of this pair that a crash or a closed app left half done (or whose rollback failed): apply rolls
    /// them back first.
    pub interrupted: Vec<Job>,
    /// Files in the job folder that are not readable jobs: possibly a setup still to undo, so they are shown.
    pub unreadable_jobs: Vec<UnreadableJob>,
}

impl Review {
    /// The first blocker, when the preflight found one.
    pub fn blocker(&self) -> Option<&Finding> {
        self.findings.iter().find(|f| f.severity == Severity::Blocker)
    }
}

/// How the plan to apply was confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirmation {
    /// Nobody was asked (`--yes`, a batch): the apply follows the review at once, on its facts.
    Unattended,
    /// The admin confirmed the plan shown, perhaps after a long while: what the plan rests on is read again
    /// first, and a plan that changed is not applied.
    Confirmed,
}

/// The result of an apply.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ApplyResult {
    /// The plan ran; the job says how it ended (succeeded, rolled back, or its rollback failed).
    Ran {
        job: Job,
        storage_id: Option<i64>,
        proof: Option<Proof>,
        /// SSO: the values for OpenProject's OpenID provider form.
        handoff: Option<Box<crate::setup::sso::ProviderHandoff>>,
    },
    /// Nothing of the plan was written: the preflight now blocks, or the plan changed since it was shown.
    /// `review` is what the servers look like now.
    NotApplied { reason: ErrorView, review: Box<Review> },
    /// An interrupted setup of this pair could not be rolled back, so the plan was not started.
    RecoveryFailed { job: Job },
}

impl From<Outcome> for ApplyResult {
    fn from(o: Outcome) -> Self {
        ApplyResult::Ran {
            storage_id: o.storage.map(|s| s.id),
            proof: o.proof,
            job: o.job,
            handoff: o.handoff.map(Box::new),
        }
    }
}

impl ApplyResult {
    pub fn succeeded(&self) -> bool {
        matches!(self, ApplyResult::Ran { job, .. } if job.status == JobStatus::Succeeded)
    }

    /// The job of a plan that ran (or of the recovery that failed).
    pub fn job(&self) -> Option<&Job> {
        match self {
            ApplyResult::Ran { job, .. } | ApplyResult::RecoveryFailed { job } => Some(job),
            ApplyResult::NotApplied { .. } => None,
        }
    }
}

/// How long after a write began it may still land: the request timeout, and a little more.
pub(super) fn settle() -> std::time::Duration {
    super::request_timeout() + std::time::Duration::from_secs(5)
}

impl ConnectedPair {
    /// Preflight, then the plan when nothing blocks. Writes nothing.
    pub async fn review(&mut self, options: SetupOptions, store: &JobStore) -> Review {
        let report = preflight::run(&self.op, &self.nc, &options).await;
        self.options = options;
        let review = self.take_report(report, store);
        self.reviewed = review.plan.clone();
        review
    }

    /// Enables integration_openproject (and groupfolders) where the last review found them installed but
    /// disabled, then reviews again. Nextcloud wants password confirmation for this: it needs the account
    /// password (an app password cannot). Returns the apps enabled.
    pub async fn enable_disabled_apps(&mut self, store: &JobStore) -> Result<(Vec<&'static str>, Review), PairError> {
        let Some(report) = self.report.clone() else {
            let review = self.review(self.options.clone(), store).await;
            return Ok((vec![], review));
        };
        let account = self.nc_session.account().unwrap_or(&self.nc).clone();
        let apps = preflight::enable_disabled_apps(&account, &report).await?;
        let review = self.review(self.options.clone(), store).await;
        Ok((apps, review))
    }

    /// Drops the account password from memory once nothing after the review needs password confirmation: a
    /// reviewed SSO plan that writes to user_oidc keeps it until its apply has ended.
    pub fn forget_account_password(&mut self) {
        let needed =
            self.reviewed.as_ref().and_then(|p| p.sso.as_ref()).is_some_and(|s| s.needs_password_confirmation());
        if !needed {
            self.nc_session.forget_account_password();
        }
    }

    /// What the last preflight found out (for `--json`).
    pub fn facts(&self) -> Option<&Facts> {
        self.facts.as_ref()
    }

    /// Keeps a preflight's facts and plan for the apply, and shows them.
    fn take_report(&mut self, mut report: preflight::PreflightReport, store: &JobStore) -> Review {
        // Whether user_oidc's writes can be confirmed is this session's to say, not the servers'.
        if let (Some(choice), Some(sso_facts)) = (&self.options.sso, report.facts.sso.as_ref()) {
            if self.nc_session.account().is_none() {
                let missing =
                    crate::setup::sso::choice_findings(choice, sso_facts, self.options.project_folders, false)
                        .into_iter()
                        .filter(|f| f.code == crate::findings::FindingCode::SsoPasswordConfirmationNeeded);
                report.findings.extend(missing);
                crate::findings::sort(&mut report.findings);
            }
        }
        let plan = plan(&report, self.op.base(), self.nc.base(), &self.options).ok();
        self.facts = Some(report.facts.clone());
        let findings = report.findings.clone();
        self.report = Some(report);
        let (interrupted, unreadable_jobs) = store.survey();
        let interrupted = interrupted.into_iter().filter(|j| self.is_this_pair(j)).collect();
        Review { findings, plan, interrupted, unreadable_jobs }
    }

    /// Setups of this pair left half done by a process that ended, or whose rollback failed (the job folder is
    /// shared by every face; a job held by a live process is not among them).
    pub fn interrupted(&self, store: &JobStore) -> Vec<Job> {
        store.interrupted().into_iter().filter(|j| self.is_this_pair(j)).collect()
    }

    fn is_this_pair(&self, job: &Job) -> bool {
        self.op.base() == &job.openproject_url && self.nc.base() == &job.nextcloud_url
    }

    /// Rolls back the interrupted setups of this pair (and finishes failed rollbacks), reporting every saved
    /// state. Returns each job as it ended.
    pub async fn recover(&self, store: &JobStore, progress: &(dyn Fn(&Job) + Send + Sync)) -> Vec<Job> {
        let account = self.nc_session.account();
        let runner = Runner { op: &self.op, nc: &self.nc, store, progress, settle: settle(), cancel: None, account };
        let mut ended = Vec::new();
        for mut job in self.interrupted(store) {
            crate::setup::apply::recover(&runner, &mut job).await;
            ended.push(job);
        }
        ended
    }

    /// Applies the reviewed plan, reporting every saved state of the job. Interrupted setups of this pair are
    /// rolled back first (then the preflight runs again in full). `Confirmed`: what the plan rests on is read
    /// again just before the first write, and when the servers changed so that the plan is no longer the one the
    /// admin confirmed, nothing is written and the new review is returned.
    pub async fn apply(
        &mut self,
        store: &JobStore,
        confirmation: Confirmation,
        progress: &(dyn Fn(&Job) + Send + Sync),
        cancel: Option<&AtomicBool>,
    ) -> ApplyResult {
        let confirmed = self.reviewed.clone();
        let mut recovered = false;
        for job in self.recover(store, progress).await {
            if job.status != JobStatus::RolledBack {
                return ApplyResult::RecoveryFailed { job };
            }
            recovered = true;
        }
        let report = match (&self.report, recovered, confirmation) {
            (Some(previous), false, Confirmation::Unattended) => previous.clone(),
            // Only what the plan rests on is read again (a full preflight only when that changed).
            (Some(previous), false, Confirmation::Confirmed) => {
                preflight::recheck(&self.op, &self.nc, &self.options, previous).await
            }
            _ => preflight::run(&self.op, &self.nc, &self.options).await,
        };
        let review = self.take_report(report, store);
        let (Some(plan), Some(facts)) = (review.plan.clone(), self.facts.clone()) else {
            let reason = PairError::PreflightBlocked { blocker: review.blocker().cloned().map(Box::new) }.view();
            return ApplyResult::NotApplied { reason, review: Box::new(review) };
        };
        let same = |a: &Plan, b: &Plan| serde_json::to_value(a).ok() == serde_json::to_value(b).ok();
        if confirmed.as_ref().is_some_and(|c| !same(c, &plan)) {
            self.reviewed = Some(plan);
            let reason = PairError::Changed {
                message: crate::said!("error-plan_changed"),
                hint: crate::said!("hint-plan_changed"),
            }
            .view();
            return ApplyResult::NotApplied { reason, review: Box::new(review) };
        }
        let account = self.nc_session.account();
        let runner = Runner { op: &self.op, nc: &self.nc, store, progress, settle: settle(), cancel, account };
        let result: ApplyResult = runner.apply(&plan, &facts).await.into();
        // Nothing needs it any more.
        self.nc_session.forget_account_password();
        if result.succeeded() {
            self.keep_baseline(store).await;
        }
        result
    }
}
