// The two-pane wizard: OpenProject on the left, Nextcloud on the right, the values crossing between them
// in the middle, and the job's stages along the bottom. All logic lives in Rust; this only renders.
import { Channel } from "@tauri-apps/api/core";
import { call } from "./backend";
import { reaction } from "./errors";
import { remedyStep } from "./remedy";
import { progress, railAction, STAGES, type Stage } from "./stages";
import type { Change, ProofCheck, ApplyResult, Compensation, ConnectionState, DemoServers, DiagnosisView, MadeBy, Picture, EnableOutcome, ErrorView, Finding, FolderMode, Job, PairSummary, Phase, ProjectChoice, ProviderHandoff, Remedy, ResetKind, Review, SetupOptions, SideSummary, SsoOptions } from "./bindings";
import "./style.css";
import { currentLanguage, sayText, said, setLanguage, t } from "./i18n";

type View = "setup" | "manage" | "diagnose";
type StepState = "pending" | "running" | "done" | "failed" | "rolled-back";
// `evidence`: what the step rests on (the change's time and the undo recorded before it, the proof's
// checks, the API read-back), one click away under the step.
interface Step { label: string; state: StepState; evidence?: string[] }

const state = {
  stage: "sign-in" as Stage,
  summary: null as PairSummary | null,
  review: null as Review | null,
  result: null as ApplyResult | null,
  diagnosis: null as DiagnosisView | null,
  /** A report opened from a file (then `diagnosis` is its view, and nothing is live). */
  openedReport: null as { path: string; made_by: MadeBy | null } | null,
  /** What differs from an earlier report picked to compare with. */
  compared: null as { path: string; changes: Change[] } | null,
  /** Watch: the diagnosis again every `WATCH_SECONDS` after each answer; each change with the time it was seen. */
  watching: false,
  watchLog: [] as { at: string; change: Change }[],
  error: null as ErrorView | null,
  busy: false,
  view: "setup" as View,
  connection: null as ConnectionState | null,
  browser: { url: "", login: "" },
  opWindow: { waiting: false, admin: "" },
  demoServers: null as DemoServers | null,
  projects: null as ProjectChoice[] | null,
  enabled: null as EnableOutcome | null,
  lastProjectIds: [] as number[],
  // The replace by hand, when OpenProject's page cannot be used: watching for the new client id, then its secret.
  replaceHandoff: null as { watching: boolean; clientId: string } | null,
  form: { op: "", nc: "", ncLogin: "", ncPassword: "" },
  // The base address each typed or pasted address resolves to ("will use …"), once checked.
  resolved: { op: "", nc: "" },
  // What the setup is asked to do: the plan is made again when these change.
  options: { storage_name: "Nextcloud", project_folders: true, replace_existing: false, sso: null } as SetupOptions,
  // The demo's identity provider, offered as the external one.
  demoIdp: null as string | null,
  // The client secret for OpenProject's OpenID provider form, once revealed.
  revealed: null as string | null,
  // OpenProject's sign-in page watched for that provider: null before, then whether it appeared.
  providerSeen: null as boolean | null,
  watchingProvider: false,
  notice: "",
  op: [] as Step[],
  nc: [] as Step[],
  crossing: [] as { text: string; to: "nextcloud" | "openproject" }[],
};

const app = document.querySelector<HTMLDivElement>("#app")!;
// Setups a crash or a closed app left half done, shown until a pair is signed in.
let interrupted: Job[] = [];

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

function icon(s: StepState): string {
  return { pending: "○", running: "●", done: "✔", failed: "✖", "rolled-back": "↶" }[s];
}

function side(summary: SideSummary | undefined, name: string, steps: Step[], form: string): string {
  const head = summary
    ? `<p class="url">${esc(summary.url)}</p><p class="meta">${esc(summary.version ?? t("versionUnknown"))} · ${t("signedInAs")} ${esc(summary.admin)} ✔</p>`
    : form;
  const line = (s: Step) => `<span class="icon" aria-hidden="true">${icon(s.state)}</span>${esc(s.label)}`;
  const list = steps
    .map((s) =>
      s.evidence?.length
        ? `<li class="step ${s.state}"><details><summary>${line(s)}</summary><ul class="evidence">${s.evidence.map((e) => `<li>${esc(e)}</li>`).join("")}</ul></details></li>`
        : `<li class="step ${s.state}">${line(s)}</li>`,
    )
    .join("");
  return `<section class="pane ${name.toLowerCase()}" aria-label="${name}"><h2>${name}</h2>${head}<ul class="steps" aria-live="polite">${list}</ul></section>`;
}

// One form, two panes: OpenProject's sign-in in its pane, Nextcloud's in its own; Nextcloud's fields belong to the
// form through their `form` attribute, so one submit (the rail's button) sends both.
function openProjectSignIn(): string {
  const w = state.opWindow;
  const opWindow = w.admin
    ? `<p id="op-signed-in" class="ok">${t("signedInWindow")} ${esc(w.admin)} ✔</p>`
    : w.waiting
    ? `<p class="hint">${t("waitingWindow")} <button type="button" id="op-window-cancel" class="secondary">${t("cancel")}</button></p>`
    : `<button type="button" id="op-window" class="secondary">${t("windowSignIn")}</button>`;
  const demo = state.demoServers;
  const accounts = demo
    ? `<p id="demo-accounts" class="hint">${esc(t("demoAccounts", undefined, { op: "\u0001", nc: "\u0002" }))
        // Each account whole on its line: a password is not broken at its hyphens.
        .replace("\u0001", `<code class="nowrap">${esc(`${demo.openproject_login} / ${demo.openproject_password}`)}</code>`)
        .replace("\u0002", `<code class="nowrap">${esc(`${demo.nextcloud_login} / ${demo.nextcloud_password}`)}</code>`)}</p>`
    : "";
  return `<form id="sign-in" class="sign-in">
    ${accounts}
    <fieldset><legend>OpenProject</legend>
      <label>${t("url")} <input id="op-url" name="openproject_url" placeholder="https://openproject.example.com" required value="${esc(state.form.op)}" /></label>
      ${resolvedLine("op")}
      ${opWindow}
      <label>${t("orToken")} <input id="op-token" name="openproject_token" type="password" autocomplete="off" /></label>
      <button type="button" id="op-token-page" class="secondary">${t("getToken")}</button>
    </fieldset>
    <label class="remember"><input type="checkbox" id="remember" name="remember" /> ${t("remember")}</label>
  </form>`;
}

function nextcloudSignIn(): string {
  const browser = state.browser;
  const ncBrowser = browser.login
    ? `<p id="nc-signed-in" class="ok">${t("signedInBrowser")} ${esc(browser.login)} ✔</p>`
    : browser.url
    ? `<p class="hint">${t("waitingGrant")} <a id="nc-login-url" href="${esc(browser.url)}">${esc(browser.url)}</a> (${t("expiresIn")}) <button type="button" id="nc-cancel" class="secondary">${t("cancel")}</button></p>`
    : `<button type="button" id="nc-browser" class="secondary">${t("browserSignIn")}</button>`;
  return `<div class="sign-in">
    <fieldset><legend>Nextcloud</legend>
      <label>${t("url")} <input form="sign-in" id="nc-url" name="nextcloud_url" placeholder="https://cloud.example.com" required value="${esc(state.form.nc)}" /></label>
      ${resolvedLine("nc")}
      ${ncBrowser}
      <label>${t("orAdmin")} <input form="sign-in" id="nc-login" name="nextcloud_login" autocomplete="username" value="${esc(state.form.ncLogin)}" /></label>
      <label>${t("andAppPassword")} <input form="sign-in" id="nc-password" name="nextcloud_password" type="password" autocomplete="off" value="${esc(state.form.ncPassword)}" /></label>
    </fieldset>
  </div>`;
}

// The demo offer sits in the middle column, which is empty until both sides are signed in.
function demoOffer(): string {
  return `<div class="demo-line"><p class="hint">${t("demoHint")}</p>
    <button type="button" id="demo" class="secondary" ${state.busy ? "disabled" : ""}>${t("tryDemo")}</button>
    <button type="button" id="demo-self" class="secondary" ${state.busy ? "disabled" : ""}>${t("demoSelf")}</button></div>`;
}

/** The core's remedy as this app names it: the step or button that does it. */
function remedyLabel(remedy: Remedy): string {
  switch (remedy.remedy) {
    case "setup": return t("remedySetup");
    case "setup_replacing": return t("remedySetupReplacing");
    case "setup_with_another_name": return t("remedyAnotherName");
    case "enable_projects": return t("remedyEnableProjects");
    case "reset":
      return remedy.kind === "nextcloud_oauth" ? t("resetNextcloud") : remedy.kind === "app_password" ? t("rotatePassword") : t("resetOpenProject");
    default: {
      const unhandled: never = remedy;
      return unhandled;
    }
  }
}

/** "Will use …" under an address whose server base differs from what was typed (a page pasted from the browser). */
function resolvedLine(side: "op" | "nc"): string {
  const typed = state.form[side].trim().replace(/\/+$/, "");
  const base = state.resolved[side].replace(/\/+$/, "");
  const text = !base || base === typed ? "" : t("willUse", undefined, { url: state.resolved[side] });
  return `<p class="hint resolved" id="${side}-resolved" aria-live="polite">${esc(text)}</p>`;
}

function setupOptions(): string {
  const o = state.options;
  return `<fieldset class="setup-options"><legend>${t("setupOptions")}</legend>
    <label>${t("storageName")} <input id="storage-name" value="${esc(o.storage_name)}" /></label>
    <label><input type="checkbox" id="project-folders" ${o.project_folders ? "checked" : ""} /> ${t("withProjectFolders")}</label>
    <label><input type="checkbox" id="replace-existing" ${o.replace_existing ? "checked" : ""} /> ${t("replaceExisting")}</label>
    ${methodChoice(o.sso)}
    <button type="button" id="apply-options" class="secondary">${t("checkAgain")}</button></fieldset>`;
}

/** Two-way OAuth, or SSO through Nextcloud Hub or an external identity provider (with its details). */
function methodChoice(sso: SsoOptions | null): string {
  const kind = !sso ? "oauth" : sso.provider.kind === "nextcloud_hub" ? "sso_hub" : "sso_external";
  const ext = sso?.provider.kind === "external" ? sso.provider : null;
  const radio = (value: string, label: string) => `<label><input type="radio" name="auth" value="${value}" ${kind === value ? "checked" : ""} /> ${label}</label>`;
  const field = (id: string, label: string, value: string, extra = "") => `<label>${label} <input id="${id}" value="${esc(value)}" ${extra} /></label>`;
  return `<fieldset class="method" id="method"><legend>${t("methodTitle")}</legend>
    ${radio("oauth", t("methodOauth"))}${radio("sso_hub", t("ssoHub"))}${radio("sso_external", t("ssoExternal"))}
    <p class="hint">${t("ssoHint")}</p>
    <div class="external" ${kind === "sso_external" ? "" : "hidden"}>
      ${field("idp-discovery", t("ssoDiscovery"), ext?.discovery_url ?? state.demoIdp ?? "", `placeholder="https://idp.example.com/realms/main/.well-known/openid-configuration"`)}
      <label><input type="checkbox" id="token-exchange" ${ext?.token_exchange ? "checked" : ""} /> ${t("ssoTokenExchange")}</label>
      ${field("oidc-provider", t("ssoProvider"), ext?.oidc_provider ?? "")}
      ${field("new-provider", t("ssoNewProvider"), sso?.new_provider?.identifier ?? "")}
      ${field("nc-client-id", t("ssoNextcloudClient"), sso?.new_provider?.client_id ?? "")}
      <label>${t("ssoNextcloudSecret")} <input id="nc-client-secret" type="password" autocomplete="off" /></label>
      ${field("op-client-id", t("ssoOpenProjectClient"), sso?.openproject_client_id ?? "")}
      ${field("exchange-scope", t("ssoExchangeScope"), sso?.token_exchange_scope ?? "")}
    </div>
    <div class="sso-common" ${kind === "oauth" ? "hidden" : ""}>${field("op-provider", t("ssoOpenProjectProvider"), sso?.openproject_provider ?? (kind === "sso_external" ? "idp" : "nextcloud"))}</div>
  </fieldset>`;
}

/** The method the form names, as the core's options (`null`: two-way OAuth). */
function chosenSso(): SsoOptions | null {
  const kind = document.querySelector<HTMLInputElement>("input[name=auth]:checked")?.value ?? "oauth";
  if (kind === "oauth") return null;
  const value = (id: string) => document.querySelector<HTMLInputElement>(`#${id}`)?.value.trim() ?? "";
  const orNull = (id: string) => value(id) || null;
  const provider: SsoOptions["provider"] = kind === "sso_hub"
    ? { kind: "nextcloud_hub" }
    : { kind: "external", discovery_url: value("idp-discovery"), token_exchange: document.querySelector<HTMLInputElement>("#token-exchange")?.checked ?? false, oidc_provider: orNull("oidc-provider") };
  const newProvider = kind === "sso_external" && !value("oidc-provider") && value("new-provider")
    ? { identifier: value("new-provider"), client_id: value("nc-client-id"), client_secret: value("nc-client-secret") }
    : null;
  return {
    provider,
    openproject_client_id: orNull("op-client-id"),
    token_exchange_scope: orNull("exchange-scope"),
    // The secret goes to the core once, in this request, and is never sent back (the bindings leave it out).
    new_provider: newProvider as SsoOptions["new_provider"],
    openproject_provider: value("op-provider") || (kind === "sso_hub" ? "nextcloud" : "idp"),
  };
}

/** The identity provider as the third party in the middle, for an SSO plan. */
function identityProviderBox(): string {
  const sso = state.review?.plan?.sso;
  if (!sso) return "";
  const how = sso.token_exchange ? t("idpExchange", undefined, { audience: sso.storage.audience }) : t("idpAsIs");
  const who = sso.provider.kind === "nextcloud_hub" ? t("ssoHub") : t("ssoExternal");
  return `<div class="idp" id="idp-box"><h3>${t("idpTitle")}</h3><p><strong>${esc(who)}</strong></p>
    <p class="hint">${esc(sso.discovery_url)}</p><p>${esc(how)}</p>
    <p>◀─── ${t("idpTokens")} ───▶</p></div>`;
}

/** OpenProject's OpenID provider has no API: the values to enter in its form, with copy buttons. */
function handoffPanel(h: ProviderHandoff): string {
  const row = (label: string, value: string, id: string) => `<tr><th>${label}</th><td><code id="${id}">${esc(value)}</code></td><td><button type="button" class="secondary copy" data-copy="${esc(value)}">${t("copy")}</button></td></tr>`;
  const secret = state.revealed
    ? `<code id="handoff-secret">${esc(state.revealed)}</code> <button type="button" class="secondary copy" data-copy="${esc(state.revealed)}">${t("copy")}</button>`
    : `<code id="handoff-secret">••••••••</code> <button type="button" class="secondary" id="reveal-secret">${t("reveal")}</button> <span class="hint">${esc(h.client_secret_source)}</span>`;
  return `<div class="handoff" id="provider-handoff"><h3>${t("handoffTitle")}</h3><p>${t("handoffIntro")}</p>
    <p><button type="button" class="secondary open-page" data-url="${esc(h.page)}" id="open-provider-page">${t("openPage")}</button> ${esc(h.page)}</p>
    <table>${row(t("handoffName"), h.display_name, "handoff-name")}${row(t("ssoDiscovery"), h.discovery_url, "handoff-discovery")}
    ${h.client_id ? row(t("handoffClientId"), h.client_id, "handoff-client-id") : ""}
    <tr><th>${t("handoffSecret")}</th><td colspan="2">${secret}</td></tr>
    ${row(t("handoffScopes"), h.scopes, "handoff-scopes")}${row(t("handoffCallback"), h.callback_url, "handoff-callback")}</table>
    ${h.token_exchange ? `<p class="hint">${t("handoffExchange")}</p>` : ""}
    ${state.summary?.openproject_web && h.secret_held_by === "nextcloud" && state.providerSeen !== true ? `<p><button type="button" id="create-provider">${t("providerCreate")}</button> <span class="hint">${t("providerCreateHint")}</span></p>` : ""}
    <p>${state.providerSeen === true ? `<span class="ok" id="provider-seen">${t("providerSeen", undefined, { slug: h.sign_in_slug })}</span>` : state.watchingProvider ? `<span class="hint">${t("providerWatching")}</span> <button type="button" class="secondary" id="stop-watch">${t("stopWatching")}</button>` : `<button type="button" id="watch-provider" data-slug="${esc(h.sign_in_slug)}">${t("providerWatch")}</button>${state.providerSeen === false ? ` <span class="hint">${t("providerNotSeen")}</span>` : ""}`}</p></div>`;
}

/** An error in the window's language (an earlier version's report: its English as it is). */
function errorBox(e: ErrorView): string {
  const message = e.said ? sayText(e.said) : e.message;
  const hint = e.hint_said ? sayText(e.hint_said) : e.hint;
  return `<div class="error" role="alert" tabindex="-1" data-focus><strong>${esc(message)}</strong>${hint ? `<p>${esc(hint)}</p>` : ""}</div>`;
}

/**
 * A finding as a person reads it: its title, its message and fix in the window's language; a command only where
 * it must run on a server (with Copy); and where this app can do the fix, the button that does it.
 */
function findingItem(f: Finding): string {
  const message = f.said ? sayText(f.said) : f.message;
  const fix = f.fix_said ? sayText(f.fix_said) : f.fix;
  const command = f.command
    ? `<div class="command"><pre><code>${esc(f.command)}</code></pre><button type="button" class="secondary copy" data-copy="${esc(f.command)}" aria-label="${esc(`${t("copy")}: ${f.command}`)}">${t("copy")}</button></div>`
    : "";
  const remedy = f.remedy && !state.openedReport
    ? `<div class="remedy"><button type="button" class="remedy-button" data-remedy="${esc(JSON.stringify(f.remedy))}">${esc(remedyLabel(f.remedy))}</button></div>`
    : "";
  return `<li class="finding ${f.severity}"><strong class="severity">${esc(said(`severity-${f.severity}`))}:</strong> <span class="finding-title">${esc(said(`finding-${f.code}`))}</span><div class="finding-detail">${esc(message)}</div>${fix ? `<div class="fix"><span class="fix-label">${t("fix")}:</span> ${esc(fix)}</div>` : ""}${command}${remedy}</li>`;
}

function findingsList(findings: Finding[]): string {
  if (findings.length === 0) return `<p class="ok">${t("allPassed")}</p>`;
  return `<ul class="findings">${findings.map(findingItem).join("")}</ul>`;
}

function middle(): string {
  const rows = state.crossing.map((c) => `<li class="crossing ${c.to}">${c.to === "nextcloud" ? `${esc(c.text)} <span class="arrow" aria-hidden="true">───▶</span>` : `<span class="arrow" aria-hidden="true">◀───</span> ${esc(c.text)}`}</li>`).join("");
  let body = "";
  if (state.error) body += errorBox(state.error);
  if (state.stage === "review" && state.review) {
    for (const j of state.review.interrupted) body += `<p class="notice" id="interrupted-notice">${esc(t("willRecover", undefined, { phase: j.phase }))}</p>`;
    for (const u of state.review.unreadable_jobs) body += `<p class="notice warn">${esc(t("unreadableJob", undefined, { path: u.path, reason: u.reason }))}</p>`;
    body += `${identityProviderBox()}<h3 tabindex="-1"${state.error ? "" : " data-focus"}>${t("preflight")}</h3>${findingsList(state.review.findings)}${setupOptions()}`;
    if (state.review.plan) {
      const plan = state.review.plan;
      const said_ = plan.unrestorable_said ?? [];
      const unrestorable = plan.unrestorable.map((u, i) => `<li>${esc(said_[i] ? sayText(said_[i]) : u)}</li>`).join("");
      body += `<h3>${t("cannotUndo")}</h3><ul class="unrestorable">${unrestorable}</ul>`;
    }
  }
  if (state.stage === "done" && state.result?.outcome === "ran" && state.result.handoff) body += handoffPanel(state.result.handoff);
  if (state.stage === "done") body += projectsPicker();
  if (state.stage === "sign-in") body += demoOffer();
  return `<section class="middle" aria-label="${esc(t("crossingLabel"))}"><ul class="crossings" aria-live="polite">${rows}</ul>${body}</section>`;
}

// Parents first, each followed by its sub-projects.
function treeOrder(list: ProjectChoice[]): ProjectChoice[] {
  const known = new Set(list.map((p) => p.id));
  const out: ProjectChoice[] = [];
  const visit = (parent: number | null) => {
    for (const p of list.filter((q) => (q.parent_id !== null && known.has(q.parent_id) ? q.parent_id : null) === parent)) {
      out.push(p);
      visit(p.id);
    }
  };
  visit(null);
  return out;
}

function depthOf(p: ProjectChoice, list: ProjectChoice[]): number {
  let depth = 0;
  let parent = p.parent_id;
  while (parent !== null && depth < 10) {
    depth += 1;
    parent = list.find((q) => q.id === parent)?.parent_id ?? null;
  }
  return depth;
}

function projectsPicker(): string {
  const list = state.projects;
  if (!list) return `<h3>${t("projectsTitle")}</h3><p class="hint">…</p>`;
  const rows = treeOrder(list)
    .map((p) => {
      // A project enabled just now says so (not "already enabled" beside "Added"); an archived one cannot be chosen.
      const addedNow = state.enabled?.added.includes(p.name) ?? false;
      const note = p.enabled ? ` <span class="hint">(${t(addedNow ? "addedNow" : "alreadyEnabled")})</span>` : !p.active ? ` <span class="hint">(${t("archivedUnarchive")})</span>` : "";
      const depth = depthOf(p, list);
      return `<li style="padding-left:${depth * 1.2}em" data-search="${esc(`${p.name} ${p.identifier}`.toLowerCase())}"><label><input type="checkbox" class="project" value="${p.id}" ${p.enabled ? "checked disabled" : !p.active ? "disabled" : ""} /> ${esc(p.name)}${note}</label></li>`;
    })
    .join("");
  let result = "";
  const e = state.enabled;
  if (e) {
    const line = (id: string, label: string, items: string[]) => (items.length ? `<p id="${id}"><strong>${label}:</strong> ${items.map(esc).join(", ")}</p>` : "");
    result += line("enabled-added", t("added"), e.added) + line("enabled-already", t("already"), e.already) + line("enabled-archived", t("archivedSkipped"), e.archived);
    result += line("enabled-refused", t("refused"), e.refused.map((r) => `${r.project} — ${sayText(r.reason)}`));
    if (e.handoff_pages.length) {
      result += `<p class="hint">${esc(e.handoff_reason ? sayText(e.handoff_reason) : "")}</p><p>${t("handoff")}</p><ul>${e.handoff_pages
        .map((u, i) => `<li><button class="secondary open-page" data-url="${esc(u)}" id="handoff-${i}">${t("openPage")}</button> ${esc(u)}</li>`)
        .join("")}</ul><button id="watch-projects">${t("watchProjects")}</button> <button id="stop-watch" class="secondary">${t("stopWatching")}</button>`;
    }
  }
  const how = state.summary?.openproject_web ? "" : ` <span class="hint">(${t("windowOnly")})</span>`;
  return `<h3 tabindex="-1" data-focus>${t("projectsTitle")}</h3>
    <label class="search">${t("search")} <input id="project-search" type="search" autocomplete="off" /></label>
    <ul class="projects">${rows}</ul>
    <label><input type="checkbox" id="include-sub-projects" /> ${t("subProjects")}</label>
    <fieldset class="folder-mode"><legend>${t("folderMode")}</legend>
      <label><input type="radio" name="folder-mode" value="automatic" checked /> ${t("folderAutomatic")}</label>
      <label><input type="radio" name="folder-mode" value="inactive" /> ${t("folderInactive")}</label>
      <label><input type="radio" name="folder-mode" value="manual" /> ${t("folderManual")}
        <input id="folder-link" autocomplete="off" placeholder="${t("folderLinkHint")}" /></label>
    </fieldset>
    <p><button id="enable-projects" ${state.summary?.openproject_web ? "" : `class="secondary"`} ${state.busy ? "disabled" : ""}>${t(state.summary?.openproject_web ? "enableProjects" : "enableProjectsHandoff")}</button>${how}</p><div class="enabled-result">${result}</div>`;
}

function rail(): string {
  const items = STAGES.map((s) => {
    const p = progress(s.id, state.stage);
    return `<li class="${p === "later" ? "" : p}"${p === "current" ? ' aria-current="step"' : ""}>${t(s.label)}</li>`;
  }).join("");
  const written = [...state.op, ...state.nc].some((s) => s.state === "done");
  let action = "";
  switch (railAction(state.stage, { hasPlan: Boolean(state.review?.plan), written })) {
    case "sign_in":
      action = `<button type="submit" form="sign-in" ${state.busy ? "disabled" : ""}>${t("signInBoth")}</button>`;
      break;
    case "apply": {
      const demoFail = state.summary?.simulated ? `<button id="demo-fail" class="secondary">${t("simulateFailure")}</button> ` : "";
      action = `<span class="notice" role="status">${esc(state.notice)}</span> ${demoFail}<button id="apply" ${state.busy ? "disabled" : ""}>${t("apply")}</button>`;
      break;
    }
    case "check_again":
      action = `<button id="check">${t("checkAgain")}</button>`;
      break;
    case "cancel":
      action = `<button id="cancel-apply" class="danger">${t("cancelApply")}</button>`;
      break;
    case "cancel_and_roll_back":
      action = `<button id="cancel-apply" class="danger">${t("cancelRollBack")}</button>`;
      break;
    case null:
      break;
  }
  return `<footer class="rail" aria-label="${esc(t("stepsLabel"))}"><ol>${items}</ol>${action}</footer>`;
}

/** The connection's picture: each leg and credential link with its colour, opening the findings behind it. */
function pictureView(p: Picture, findings: Finding[]): string {
  const rows = p.links
    .map((l) => {
      const evidence = findings.filter((f) => l.findings.includes(f.code));
      const details = [
        ...evidence.map((f) => `<li>${esc(said(`finding-${f.code}`))}${f.evidence ? ` — <span class="evidence-text">${esc(f.evidence)}</span>` : ""}</li>`),
        ...l.not_run.map((c) => `<li>${esc(said(`check-${c}`))}: ${esc(t("couldNotCheck"))}</li>`),
      ].join("");
      const label = `<span class="dot" aria-hidden="true"></span>${esc(said(`link-${l.kind}`))} <span class="link-status">${esc(said(`linkstatus-${l.status}`))}</span>`;
      return `<li class="link ${l.status}" data-link="${l.kind}">${details ? `<details><summary>${label}</summary><ul>${details}</ul></details>` : label}</li>`;
    })
    .join("");
  return `<ul class="picture" aria-label="${esc(t("connectionPicture"))}">${rows}</ul>`;
}

function diagnoseView(): string {
  const openReport = `<button id="open-report" class="secondary" ${state.busy ? "disabled" : ""}>${t("openReport")}</button>`;
  // Support staff open a customer's report without signing in anywhere.
  if (!state.summary && !state.openedReport) return `<div class="diagnose-bar">${openReport}</div><p class="hint">${t("signInFirst")}</p>`;
  const view = state.diagnosis;
  const d = view?.diagnosis;
  // What only a user's token shows: offered where the diagnosis says so (by its check code, never its words).
  const signIn = !state.openedReport && d?.not_run.some((n) => n.check === "sso_token_accepted")
    ? `<div class="test-sign-in"><p class="hint">${t("testSignInHint")}</p>
        <details><summary>${t("testSignInExternal")}</summary>
          <label>${t("testSignInClientId")} <input id="tsi-client-id" autocomplete="off"></label>
          <label>${t("testSignInClientSecret")} <input id="tsi-client-secret" type="password" autocomplete="off"></label>
        </details>
        <button id="run-test-sign-in" ${state.busy ? "disabled" : ""}>${t("testSignIn")}</button></div>`
    : "";
  const exports = view && !state.openedReport
    ? ` <button id="export-markdown" class="secondary">${t("exportMarkdown")}</button> <button id="export-json" class="secondary">${t("exportJson")}</button> <button id="export-bundle" class="secondary">${t("exportBundle")}</button>`
    : "";
  const compare = view ? ` <button id="compare-report" class="secondary" ${state.busy ? "disabled" : ""}>${t("compareReport")}</button>` : "";
  // Watch is for a live pair only: a report from a file does not change.
  const watch = state.summary && !state.openedReport
    ? ` <button id="watch" class="secondary" aria-pressed="${state.watching}">${t(state.watching ? "watchStop" : "watchStart")}</button>`
    : "";
  const run = `${state.summary ? `<button id="run-diagnose" ${state.busy || state.watching ? "disabled" : ""}>${t("runDiagnose")}</button>` : ""}${watch}${exports}${compare} ${openReport}${state.notice ? ` <span class="hint" role="status">${esc(state.notice)}</span>` : ""}`;
  if (!view || !d) return `<div class="diagnose-bar">${run}</div><section class="diagnose"><p class="hint">${t("diagnoseHint")}</p></section>`;
  const r = state.openedReport;
  const origin = r
    ? `<p class="notice" id="report-origin">${esc(r.made_by ? t("reportFrom", undefined, { path: r.path, version: r.made_by.version, language: r.made_by.language.toUpperCase() }) : t("reportFromOlder", undefined, { path: r.path }))}</p>`
    : "";
  // Each side's findings in its own pane; what concerns both, or the identity provider, in the middle with the picture.
  const of = (server: string | null) => d.findings.filter((f) => (f.server ?? null) === server);
  const pane = (name: string, cls: string, server: string) =>
    `<section class="pane ${cls}" aria-label="${name}"><h2>${name}</h2>${findingsList(of(server))}</section>`;
  const notRun = d.not_run.length
    ? `<h3>${t("couldNotCheck")}</h3><ul>${d.not_run.map((n) => `<li>${esc(said(`check-${n.check}`))}: ${esc(n.reason_said ? sayText(n.reason_said) : n.reason)}</li>`).join("")}</ul>`
    : "";
  const middleFindings = [...of(null), ...of("identity_provider")];
  // What differs from the last state that worked leads: it is often the cause.
  const changed = view.changed.length
    ? `<section class="changed" aria-label="${esc(t("changedSinceWorked"))}"><h3>${t("changedSinceWorked")}</h3><ul>${view.changed.map((c) => `<li data-change="${c.kind}">${esc(sayText(c.said))}</li>`).join("")}</ul></section>`
    : "";
  const compared = state.compared
    ? `<section class="compared" aria-label="${esc(t("comparedWith", undefined, { path: state.compared.path }))}"><h3>${esc(t("comparedWith", undefined, { path: state.compared.path }))}</h3>${state.compared.changes.length ? `<ul>${state.compared.changes.map((c) => `<li data-change="${c.kind}">${esc(sayText(c.said))}</li>`).join("")}</ul>` : `<p class="hint">${t("nothingChanged")}</p>`}</section>`
    : "";
  const watchLog = state.watching || state.watchLog.length
    ? `<section class="watch-log" aria-live="polite" aria-label="${esc(t("watchLog"))}"><h3>${t("watchLog")}</h3>${state.watchLog.length ? `<ul>${state.watchLog.map((w) => `<li data-change="${w.change.kind}"><time>${esc(w.at)}</time> ${esc(sayText(w.change.said))}</li>`).join("")}</ul>` : `<p class="hint">${t(state.watching ? "watchNothingYet" : "nothingChanged", undefined, { seconds: String(WATCH_SECONDS) })}</p>`}</section>`
    : "";
  const headline = `<p class="verdict ${d.findings.some((f) => f.severity === "blocker") ? "bad" : "good"}" role="status" tabindex="-1" data-focus>${esc(view.headline[currentLanguage()])}</p>`;
  return `<div class="diagnose-bar">${run}</div><main class="wizard diagnose diagnose-panes">${pane("OpenProject", "openproject", "open_project")}<section class="middle">${origin}${headline}${changed}${compared}${watchLog}${pictureView(view.picture, d.findings)}${middleFindings.length ? findingsList(middleFindings) : ""}${signIn}${notRun}</section>${pane("Nextcloud", "nextcloud", "nextcloud")}</main>`;
}


function manageView(): string {
  if (!state.summary) return `<p class="hint">${t("signInFirst")}</p>`;
  const c = state.connection;
  let body = `<p class="hint">${t("manageHint")}</p>`;
  if (state.error) body += errorBox(state.error);
  if (c && c.storage_id === null) body += `<p>${t("noStorage")}</p>`;
  if (c?.picture && c.proof) body += pictureOfProof(c.picture, c.proof.checks);
  // Each side's proof in its own pane, in the catalogue's words; the evidence one click away.
  const proofPane = (name: string, cls: string, server: string) => {
    const checks = (c?.proof?.checks ?? []).filter((k) => k.server === server);
    const items = checks
      .map((k) => `<li class="step ${k.ok ? "done" : "failed"}"><details><summary><span class="icon" aria-hidden="true">${k.ok ? "✔" : "✖"}</span>${esc(said(`proof-${k.name}-${k.ok ? "ok" : "failed"}`))}</summary><ul class="evidence"><li>${esc(k.evidence)}</li></ul></details></li>`)
      .join("");
    return `<section class="pane ${cls}" aria-label="${name}"><h2>${name}</h2><ul class="checks">${items}</ul></section>`;
  };
  if (c?.proof) {
    body += `<h3>${t("storage")} “${esc(c.storage_name ?? "")}”</h3>
      <div class="actions"><button id="reset-nextcloud_oauth" class="secondary">${t("resetNextcloud")}</button>
      <button id="reset-app_password" class="secondary">${t("rotatePassword")}</button>
      <button id="reset-openproject_oauth" class="secondary">${t("resetOpenProject")}</button>
      <button id="delete" class="danger">${t("deleteConnection")}</button></div>`;
  }
  const h = state.replaceHandoff;
  if (h) {
    body += `<div class="handoff" id="replace-handoff"><h3>${t("resetOpenProject")}</h3>`;
    if (h.clientId) {
      body += `<p>${t("newClientSeen")} <code>${esc(h.clientId)}</code></p>
        <label>${t("pasteSecret")} <input id="new-secret" type="password" autocomplete="off" /></label>
        <button id="give-secret">${t("giveToNextcloud")}</button>`;
    } else if (h.watching) {
      body += `<p class="hint">${t("watchingReplace")}</p><button id="stop-watch" class="secondary">${t("stopWatching")}</button>`;
    } else {
      body += `<p>${t("replaceByHand")}</p><button id="replace-by-hand">${t("openAndWatch")}</button>`;
    }
    body += `</div>`;
  }
  const load = `<div class="diagnose-bar"><button id="load-state" ${state.busy ? "disabled" : ""}>${t("showConnection")}</button></div>`;
  return `${load}<main class="wizard manage">${proofPane("OpenProject", "openproject", "open_project")}<section class="middle">${body}</section>${proofPane("Nextcloud", "nextcloud", "nextcloud")}</main>`;
}

// The Clipboard API where the webview grants it, else the selection-and-copy fallback WebKit always has.
async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const area = document.createElement("textarea");
    area.value = text;
    document.body.appendChild(area);
    area.select();
    const ok = document.execCommand("copy");
    area.remove();
    return ok;
  }
}

async function loadState(): Promise<void> {
  state.connection = (await run(() => call("connection_state"))) ?? null;
  render();
}

/** What a person typed, keyed by the field's id or name: a re-render keeps it unless the state gave the field a new
 * value meanwhile (then the state's wins). Memory only, as the fields themselves. */
type Draft = { value: string; checked: boolean; defaultValue: string; defaultChecked: boolean };

function captureDrafts(): Map<string, Draft> {
  const drafts = new Map<string, Draft>();
  app.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>("input, textarea").forEach((el) => {
    const key = el.id || el.getAttribute("name");
    if (!key) return;
    const box = el instanceof HTMLInputElement ? el : null;
    drafts.set(key, { value: el.value, checked: box?.checked ?? false, defaultValue: el.defaultValue, defaultChecked: box?.defaultChecked ?? false });
  });
  return drafts;
}

function restoreDrafts(drafts: Map<string, Draft>): void {
  app.querySelectorAll<HTMLInputElement | HTMLTextAreaElement>("input, textarea").forEach((el) => {
    const draft = drafts.get(el.id || el.getAttribute("name") || "");
    if (!draft) return;
    if (el.defaultValue === draft.defaultValue) el.value = draft.value;
    if (el instanceof HTMLInputElement && el.defaultChecked === draft.defaultChecked) el.checked = draft.checked;
  });
}

// Where the window is (view and stage): when it changes, focus moves to the new content, so keyboard and
// screen-reader users land on it rather than at the top of the page.
let place = "";
// The place changed before its content came (the plan follows the sign-in): focus goes there when it does.
let focusPending = false;

function render(): void {
  const drafts = captureDrafts();
  const focused = document.activeElement instanceof HTMLElement ? document.activeElement.id : "";
  // A heading focused for new content has no id: it is found again by its mark.
  const onNewContent = document.activeElement instanceof HTMLElement && document.activeElement.hasAttribute("data-focus");
  renderView();
  restoreDrafts(drafts);
  const now = `${state.view}/${state.stage}/${state.diagnosis ? "d" : ""}/${state.connection ? "c" : ""}/${state.error ? "e" : ""}`;
  const moved = now !== place;
  place = now;
  const again = focused ? document.getElementById(focused) : null;
  if (moved && !again?.closest("nav")) focusPending = true;
  const target = document.querySelector<HTMLElement>("[data-focus]");
  if ((focusPending || (!again && onNewContent)) && target) {
    target.focus();
    focusPending = false;
  } else {
    again?.focus();
  }
}

function renderView(): void {
  const s = state.summary;
  let banner = s?.simulated ? `<div class="banner" role="status">${t("demoBanner")}</div>` : "";
  if (!s) {
    for (const j of interrupted) {
      banner += `<div class="banner warn" role="status">${esc(t("interruptedFound", undefined, { op: j.openproject_url, nc: j.nextcloud_url, phase: j.phase }))}</div>`;
    }
  }
  const main =
    state.view === "diagnose"
      ? diagnoseView()
      : state.view === "manage"
      ? manageView()
      : `<main class="wizard">${side(s?.openproject, "OpenProject", state.op, state.stage === "sign-in" ? openProjectSignIn() : "")}${middle()}${side(s?.nextcloud, "Nextcloud", state.nc, state.stage === "sign-in" ? nextcloudSignIn() : "")}</main>${rail()}`;
  app.innerHTML = `<header><h1>OpenProject ⇄ Nextcloud</h1><nav aria-label="${esc(t("viewsLabel"))}">
      <button data-view="setup" class="${state.view === "setup" ? "active" : ""}">${t("setUp")}</button>
      <button data-view="manage" class="${state.view === "manage" ? "active" : ""}">${t("manage")}</button>
      <button data-view="diagnose" class="${state.view === "diagnose" ? "active" : ""}">${t("diagnose")}</button>
      ${s ? `<button id="sign-out" class="secondary">${t("signOut")}</button>` : ""}
      <button id="open-logs" class="secondary" title="${t("logsTitle")}">${t("logs")}</button>
      <button id="language" class="secondary" aria-label="${esc(t("languageSwitch"))}">${currentLanguage() === "en" ? "DE" : "EN"}</button></nav></header>${banner}${main}`;
  bind();
}

/** Seconds between two rounds of Watch, counted from an answer: a round is some 20 requests to each server. */
const WATCH_SECONDS = 10;
let watchTimer: ReturnType<typeof setTimeout> | undefined;

function stopWatching(): void {
  state.watching = false;
  if (watchTimer !== undefined) clearTimeout(watchTimer);
  watchTimer = undefined;
}

/** One round of Watch; the next is planned only after this one's answer, so rounds never overlap. */
async function watchRound(): Promise<void> {
  watchTimer = undefined;
  if (!state.watching) return;
  try {
    const round = await call("watch_round");
    if (!state.watching) return;
    state.diagnosis = round.view;
    state.openedReport = null;
    const at = new Date().toLocaleTimeString(currentLanguage());
    state.watchLog.push(...round.changes.map((change) => ({ at, change })));
  } catch (e) {
    stopWatching();
    state.error = (e as ErrorView).code ? (e as ErrorView) : { code: "local_failure", message: String(e), hint: "" };
  }
  render();
  if (state.watching && state.view === "diagnose") watchTimer = setTimeout(() => void watchRound(), WATCH_SECONDS * 1000);
  else stopWatching();
}

async function run<T>(task: () => Promise<T>): Promise<T | undefined> {
  state.busy = true;
  state.error = null;
  render();
  try {
    return await task();
  } catch (e) {
    const error: ErrorView = (e as ErrorView).code ? (e as ErrorView) : { code: "local_failure", message: String(e), hint: "" };
    // A cancel is no error to show; the caller reads the view again.
    state.error = reaction(error.code) === "cancelled" ? null : error;
    return undefined;
  } finally {
    state.busy = false;
    render();
  }
}

async function signedIn(summary: PairSummary | undefined): Promise<void> {
  if (!summary) return;
  state.summary = summary;
  state.stage = "review";
  await check();
}

async function check(): Promise<void> {
  const options = state.options;
  const review = await run(() => call("review", { options }));
  if (!review) return;
  state.review = review;
  showPlan(review.plan);
  render();
}

/** The plan's changes as each pane's pending steps, in the window's language. */
function showPlan(plan: Review["plan"]): void {
  const steps = (server: string) =>
    (plan?.changes ?? []).filter((c) => c.server === server).map((c) => ({ label: sayText(c.said), state: "pending" as StepState }));
  state.op = steps("open_project");
  state.nc = steps("nextcloud");
}

/** Manage's picture: each link coloured by the proof's checks on it, which open under it. */
function pictureOfProof(p: Picture, checks: ProofCheck[]): string {
  const rows = p.links
    .map((l) => {
      const details = checks
        .filter((k) => l.proofs.includes(k.name))
        .map((k) => `<li>${k.ok ? "✔" : "✖"} ${esc(said(`proof-${k.name}-${k.ok ? "ok" : "failed"}`))} — <span class="evidence-text">${esc(k.evidence)}</span></li>`)
        .join("");
      const label = `<span class="dot" aria-hidden="true"></span>${esc(said(`link-${l.kind}`))} <span class="link-status">${esc(said(`linkstatus-${l.status}`))}</span>`;
      return `<li class="link ${l.status}" data-link="${l.kind}">${details ? `<details><summary>${label}</summary><ul>${details}</ul></details>` : label}</li>`;
    })
    .join("");
  return `<ul class="picture" id="manage-picture" aria-label="${esc(t("connectionPicture"))}" tabindex="-1" data-focus>${rows}</ul>`;
}

// Which pane's steps a phase belongs to, and what crosses over when it completes.
const phaseSide: Partial<Record<Phase, "op" | "nc">> = {
  create_storage: "op", configure_nextcloud: "nc", set_nextcloud_client: "op", set_application_password: "op",
  create_oidc_client: "nc", configure_user_oidc: "nc", switch_storage: "op",
};

/** The undo recorded before a change, in the catalogue's words (the compensation is data; its values shown). */
function compensationText(c: Compensation): string {
  const method = (sso: unknown) => t(sso ? "methodSso" : "methodOauthShort");
  switch (c.kind) {
    case "delete_storage": return t("undoDeleteStorage", undefined, { name: c.name, id: String(c.storage_id ?? "") });
    case "reset_nextcloud": return t("undoResetNextcloud");
    case "delete_oidc_client": return t("undoDeleteOidcClient", undefined, { name: c.name, id: String(c.id ?? "") });
    case "delete_user_oidc_provider": return t("undoDeleteUserOidcProvider", undefined, { identifier: c.identifier });
    case "restore_storage_method": return t("undoRestoreStorageMethod", undefined, { id: String(c.storage_id), method: method(c.sso) });
    case "restore_nextcloud_method": return t("undoRestoreNextcloudMethod", undefined, { method: method(c.sso) });
    case "restore_nextcloud": return t("undoRestoreNextcloud", undefined, { url: c.previous.openproject_url });
    default: {
      const unhandled: never = c;
      return unhandled;
    }
  }
}

function follow(job: Job): void {
  state.op = [];
  state.nc = [];
  state.crossing = [];
  let current: "op" | "nc" | null = null;
  let phase = "";
  let undo = "";
  const time = (at: number) => new Date(at * 1000).toLocaleTimeString();
  for (const e of job.events) {
    if (e.event === "compensation_recorded") undo = compensationText(e.compensation);
    if (e.event === "phase_started") {
      phase = e.phase;
      current = phaseSide[e.phase] ?? null;
      // With SSO no secret crosses: Nextcloud learns only the audience OpenProject's tokens carry.
      const sso = Boolean(state.review?.plan?.sso);
      if (e.phase === "configure_nextcloud") state.crossing.push({ text: t(sso ? "crossAudience" : "crossClient"), to: "nextcloud" });
      if (e.phase === "set_nextcloud_client") state.crossing.push({ text: t("crossClient"), to: "openproject" });
      if (e.phase === "set_application_password") state.crossing.push({ text: t("crossAppPassword"), to: "openproject" });
    } else if (e.event === "changed" && current) {
      const evidence = [`${t("atTime")} ${time(e.at)} · ${t("phase")} ${said(`phase-${phase}`)}`];
      if (undo) evidence.push(`${t("undoRecorded")}: ${undo}`);
      state[current].push({ label: e.said ? sayText(e.said) : e.what, state: "done", evidence });
    } else if (e.event === "undone") {
      // Each undo says which side it put back (a late change found on either side says none: the OpenProject pane).
      (e.server === "nextcloud" ? state.nc : state.op).push({ label: e.said ? sayText(e.said) : e.what, state: "rolled-back", evidence: [`${t("atTime")} ${time(e.at)}`] });
    } else if (e.event === "failed" && current) {
      state[current].push({ label: e.error.said ? sayText(e.error.said) : e.error.message, state: "failed", evidence: [`${e.error.code} · ${t("phase")} ${said(`phase-${e.phase}`)}`, e.error.hint_said ? sayText(e.error.hint_said) : e.error.hint] });
    }
  }
}

async function apply(): Promise<void> {
  state.stage = "apply";
  state.notice = "";
  const progress = new Channel<Job>();
  // The job comes whole at every save, and a large message can overtake a small one on its way here: an older
  // state of the job (fewer events) never replaces a newer one.
  let newest = 0;
  progress.onmessage = (job) => {
    if (job.events.length < newest) return;
    newest = job.events.length;
    follow(job);
    render();
  };
  const result = await run(() => call("apply", { progress }));
  if (!result) return;
  state.result = result;
  if (result.outcome === "ran" && result.job.status === "succeeded") {
    follow(result.job);
    state.stage = "done";
    const checks = result.proof?.checks ?? [];
    state.op.push({ label: t("proven", checks.length), state: "done", evidence: checks.map((c) => `${c.ok ? "✔" : "✖"} ${c.summary} (${c.evidence})`) });
    state.projects = (await run(() => call("list_projects"))) ?? [];
  } else if (result.outcome === "ran") {
    follow(result.job);
    state.error = result.job.error;
    state.stage = "review";
  } else if (result.outcome === "not_applied") {
    // Nothing was written: show the servers as they are now, with the reason above them.
    await check();
    state.error = result.reason;
  } else {
    follow(result.job);
    state.error = result.job.rollback_error ?? result.job.error;
    state.stage = "review";
  }
  render();
}

function bind(): void {
  const keepUrls = () => {
    state.form.op = document.querySelector<HTMLInputElement>("#op-url")?.value ?? state.form.op;
    state.form.nc = document.querySelector<HTMLInputElement>("#nc-url")?.value ?? state.form.nc;
  };
  for (const side of ["op", "nc"] as const) {
    document.querySelector<HTMLInputElement>(`#${side}-url`)?.addEventListener("change", async (ev) => {
      const input = (ev.target as HTMLInputElement).value.trim();
      keepUrls();
      if (!input) return;
      const server = side === "op" ? "open_project" : "nextcloud";
      // What will be used; a wrong address is said when signing in, not while typing.
      state.resolved[side] = await call("check_url", { server, input, allowInsecureHttp: false }).catch(() => "");
      // Only the line changes: the change event fires as the admin moves on to the next field, and a whole render
      // would replace that field under their typing (its value would survive, the caret and the keys in flight not).
      const line = document.querySelector<HTMLParagraphElement>(`#${side}-resolved`);
      const wrapper = document.createElement("div");
      wrapper.innerHTML = resolvedLine(side);
      if (line && wrapper.firstElementChild) line.replaceWith(wrapper.firstElementChild);
    });
  }
  // The method's own fields show and hide in place: a re-render would empty a secret typed already.
  document.querySelectorAll<HTMLInputElement>("input[name=auth]").forEach((radio) =>
    radio.addEventListener("change", () => {
      const kind = document.querySelector<HTMLInputElement>("input[name=auth]:checked")?.value ?? "oauth";
      document.querySelector<HTMLElement>("#method .external")?.toggleAttribute("hidden", kind !== "sso_external");
      document.querySelector<HTMLElement>("#method .sso-common")?.toggleAttribute("hidden", kind === "oauth");
    }),
  );
  document.querySelector<HTMLButtonElement>("#watch-provider")?.addEventListener("click", async (ev) => {
    const slug = (ev.currentTarget as HTMLButtonElement).dataset.slug ?? "";
    state.watchingProvider = true;
    render();
    const seen = await run(() => call("watch_openproject_provider", { slug }));
    state.watchingProvider = false;
    state.providerSeen = seen ?? false;
    render();
  });
  document.querySelector("#create-provider")?.addEventListener("click", async () => {
    const seen = await run(() => call("create_openproject_provider"));
    if (seen !== undefined) state.providerSeen = seen;
    render();
  });
  document.querySelector("#reveal-secret")?.addEventListener("click", async () => {
    state.revealed = (await run(() => call("reveal_handoff_secret"))) ?? null;
    render();
  });
  document.querySelector("#apply-options")?.addEventListener("click", async () => {
    const name = document.querySelector<HTMLInputElement>("#storage-name")?.value.trim() || "Nextcloud";
    state.options = {
      storage_name: name,
      project_folders: document.querySelector<HTMLInputElement>("#project-folders")?.checked ?? true,
      replace_existing: document.querySelector<HTMLInputElement>("#replace-existing")?.checked ?? false,
      sso: chosenSso(),
    };
    await check();
  });
  document.querySelector<HTMLFormElement>("#sign-in")?.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    keepUrls();
    const f = new FormData(ev.target as HTMLFormElement);
    const text = (k: string) => (String(f.get(k) ?? "").trim() || null);
    const request = {
      openproject_url: String(f.get("openproject_url")), openproject_token: text("openproject_token"),
      nextcloud_url: String(f.get("nextcloud_url")), nextcloud_login: text("nextcloud_login"),
      nextcloud_password: text("nextcloud_password"), allow_insecure_http: false, remember: f.get("remember") === "on",
    };
    (ev.target as HTMLFormElement).reset(); // the secrets leave the webview once sent
    state.form.ncLogin = "";
    state.form.ncPassword = "";
    await signedIn(await run(() => call("sign_in", { request })));
  });
  document.querySelector("#nc-browser")?.addEventListener("click", async () => {
    keepUrls();
    const page = new Channel<string>();
    page.onmessage = (url) => {
      state.browser.url = url;
      render();
    };
    const login = await run(() => call("nextcloud_browser_sign_in", { url: state.form.nc, allowInsecureHttp: false, page }));
    state.browser = { url: "", login: login ?? "" };
    render();
  });
  document.querySelector("#nc-cancel")?.addEventListener("click", () => void call("cancel_browser_sign_in"));
  document.querySelector("#op-token-page")?.addEventListener("click", () => {
    keepUrls();
    void run(() => call("open_openproject_tokens", { url: state.form.op, allowInsecureHttp: false }));
  });
  document.querySelector("#demo")?.addEventListener("click", async () => {
    const summary = await run(() => call("start_demo"));
    state.demoIdp = (await call("demo_identity_provider").catch(() => null)) ?? null;
    signedIn(summary);
  });
  document.querySelector("#demo-self")?.addEventListener("click", async () => {
    const demo = await run(() => call("start_demo_servers"));
    if (!demo) return;
    state.demoServers = demo;
    state.form = { op: demo.openproject_url, nc: demo.nextcloud_url, ncLogin: demo.nextcloud_login, ncPassword: demo.nextcloud_password };
    render();
  });
  document.querySelector("#op-window")?.addEventListener("click", async () => {
    keepUrls();
    state.opWindow = { waiting: true, admin: "" };
    const admin = await run(() => call("openproject_window_sign_in", { url: state.form.op, allowInsecureHttp: false }));
    state.opWindow = { waiting: false, admin: admin ?? "" };
    render();
  });
  document.querySelector("#op-window-cancel")?.addEventListener("click", () => void call("cancel_openproject_window"));
  document.querySelector("#enable-projects")?.addEventListener("click", async () => {
    const projectIds = Array.from(document.querySelectorAll<HTMLInputElement>("input.project:checked")).map((i) => Number(i.value));
    state.lastProjectIds = projectIds;
    const includeSubProjects = document.querySelector<HTMLInputElement>("#include-sub-projects")?.checked ?? false;
    const chosen = document.querySelector<HTMLInputElement>("input[name=folder-mode]:checked")?.value ?? "automatic";
    let mode: FolderMode = chosen === "inactive" ? { mode: "inactive" } : { mode: "automatic" };
    if (chosen === "manual") {
      const link = document.querySelector<HTMLInputElement>("#folder-link")?.value ?? "";
      const folderId = await call("folder_id_from_link", { link });
      if (!folderId) {
        state.error = { code: "invalid_input", message: t("folderLinkInvalid"), hint: t("folderLinkHint") };
        render();
        return;
      }
      mode = { mode: "manual", folder_id: folderId };
    }
    state.enabled = (await run(() => call("enable_projects", { projectIds, includeSubProjects, mode }))) ?? null;
    for (const name of state.enabled?.added ?? []) state.op.push({ label: t("enabledIn", undefined, { project: name }), state: "done", evidence: [t("readBack")] });
    for (const r of state.enabled?.refused ?? []) state.op.push({ label: `${r.project}: ${sayText(r.reason)}`, state: "failed" });
    state.projects = (await run(() => call("list_projects"))) ?? state.projects;
    render();
  });
  document.querySelector<HTMLInputElement>("#project-search")?.addEventListener("input", (ev) => {
    const words = (ev.target as HTMLInputElement).value.toLowerCase().trim();
    document.querySelectorAll<HTMLLIElement>("ul.projects li").forEach((li) => {
      li.hidden = words !== "" && !(li.dataset.search ?? "").includes(words);
    });
  });
  document.querySelectorAll<HTMLButtonElement>("button.open-page").forEach((b) =>
    b.addEventListener("click", () => void run(() => call("open_page", { url: b.dataset.url ?? "" }))),
  );
  document.querySelector("#check")?.addEventListener("click", () => void check());
  document.querySelector("#apply")?.addEventListener("click", () => void apply());
  document.querySelector("#run-diagnose")?.addEventListener("click", async () => {
    state.openedReport = null;
    state.compared = null;
    state.notice = "";
    state.diagnosis = (await run(() => call("diagnose"))) ?? null;
    render();
  });
  for (const json of [false, true]) {
    document.querySelector(json ? "#export-json" : "#export-markdown")?.addEventListener("click", async () => {
      const path = await run(() => call("export_report", { json, language: currentLanguage() }));
      if (path) state.notice = t("exported", undefined, { path });
      render();
    });
  }
  document.querySelector("#watch")?.addEventListener("click", () => {
    state.watching = !state.watching;
    if (state.watching) {
      state.watchLog = [];
      state.compared = null;
      void watchRound();
    } else if (watchTimer !== undefined) {
      clearTimeout(watchTimer);
      watchTimer = undefined;
    }
    render();
  });
  document.querySelector("#compare-report")?.addEventListener("click", async () => {
    const compared = await run(() => call("compare_report"));
    if (compared) state.compared = compared;
    render();
  });
  document.querySelector("#export-bundle")?.addEventListener("click", async () => {
    const path = await run(() => call("export_bundle", { language: currentLanguage() }));
    if (path) state.notice = t("bundleExported", undefined, { path });
    render();
  });
  document.querySelector("#open-report")?.addEventListener("click", async () => {
    stopWatching();
    const opened = await run(() => call("open_report"));
    if (opened) {
      state.notice = "";
      state.compared = null;
      state.openedReport = { path: opened.path, made_by: opened.made_by };
      state.diagnosis = opened.view;
      state.view = "diagnose";
    }
    render();
  });
  document.querySelector("#run-test-sign-in")?.addEventListener("click", async () => {
    const value = (id: string) => document.querySelector<HTMLInputElement>(id)?.value ?? "";
    const args = { openprojectClientId: value("#tsi-client-id") || null, openprojectClientSecret: value("#tsi-client-secret") || null };
    state.diagnosis = (await run(() => call("test_sign_in", args))) ?? state.diagnosis;
    render();
  });
  document.querySelectorAll<HTMLButtonElement>("nav button[data-view]").forEach((b) =>
    b.addEventListener("click", () => {
      state.view = b.dataset.view as View;
      state.error = null;
      render();
    }),
  );
  document.querySelector("#demo-fail")?.addEventListener("click", async () => {
    await run(() => call("demo_fail_next_apply"));
    state.notice = t("willFail");
    render();
  });
  document.querySelector("#load-state")?.addEventListener("click", () => void loadState());
  document.querySelectorAll<HTMLButtonElement>("button.copy").forEach((b) =>
    b.addEventListener("click", async () => {
      b.textContent = (await copyText(b.dataset.copy ?? "")) ? t("copied") : t("copyFailed");
    }),
  );
  document.querySelector("#sign-out")?.addEventListener("click", async () => {
    await run(() => call("sign_out"));
    Object.assign(state, { stage: "sign-in", summary: null, review: null, revealed: null, result: null, diagnosis: null, connection: null, projects: null, enabled: null, op: [], nc: [], crossing: [], view: "setup" });
    state.browser = { url: "", login: "" };
    state.opWindow = { waiting: false, admin: "" };
    render();
  });
  document.querySelector("#cancel-apply")?.addEventListener("click", () => void call("cancel_apply"));
  document.querySelector("#language")?.addEventListener("click", () => {
    setLanguage(currentLanguage() === "en" ? "de" : "en");
    void call("set_language", { language: currentLanguage() });
    // The plan's lines were said when it came; they are said again in the new language.
    if (state.stage === "review" && state.review) showPlan(state.review.plan);
    render();
  });
  document.querySelector("#open-logs")?.addEventListener("click", async () => {
    const folder = await run(() => call("open_logs_folder"));
    if (folder) state.notice = t("logsAt", undefined, { folder });
    render();
  });
  for (const kind of ["nextcloud_oauth", "app_password", "openproject_oauth"] as ResetKind[]) {
    document.querySelector(`#reset-${kind}`)?.addEventListener("click", async () => {
      await run(() => call("reset", { kind }));
      // Where OpenProject's page could not be used (nothing was sent), the replace is offered by hand.
      const byHand = state.error !== null && reaction(state.error.code) === "offer_handoff";
      if (kind === "openproject_oauth" && byHand) {
        state.replaceHandoff = { watching: false, clientId: "" };
        render();
        return;
      }
      if (!state.error) await loadState();
    });
  }
  document.querySelector("#replace-by-hand")?.addEventListener("click", async () => {
    state.replaceHandoff = { watching: true, clientId: "" };
    const clientId = await run(() => call("watch_openproject_replace"));
    state.replaceHandoff = { watching: false, clientId: clientId ?? "" };
    render();
  });
  document.querySelector("#give-secret")?.addEventListener("click", async () => {
    const input = document.querySelector<HTMLInputElement>("#new-secret");
    const secret = input?.value.trim() ?? "";
    if (input) input.value = ""; // the secret leaves the webview once sent
    const clientId = state.replaceHandoff?.clientId ?? "";
    const outcome = await run(() => call("give_openproject_oauth", { clientId, secret }));
    if (outcome) {
      state.replaceHandoff = null;
      await loadState();
    }
  });
  document.querySelector("#stop-watch")?.addEventListener("click", () => void call("cancel_watch"));
  document.querySelector("#watch-projects")?.addEventListener("click", async () => {
    const projectIds = state.lastProjectIds;
    state.enabled = (await run(() => call("watch_projects", { projectIds }))) ?? state.enabled;
    state.projects = (await run(() => call("list_projects"))) ?? state.projects;
    render();
  });
  document.querySelector("#delete")?.addEventListener("click", async () => {
    await run(() => call("delete_connection"));
    if (!state.error) await loadState();
  });
}

/** A finding's fix button: the remedy's step, carried out here. */
async function doRemedy(remedy: Remedy): Promise<void> {
  const step = remedyStep(remedy, state.options);
  state.options = step.options;
  state.view = step.to;
  state.error = null;
  if (step.then === "check") {
    state.stage = "review";
    await check();
  } else if (step.then === "focus_storage_name") {
    state.stage = "review";
    render();
    document.querySelector<HTMLInputElement>("#storage-name")?.focus();
  } else if (step.then === "projects") {
    state.stage = "done";
    state.projects = (await run(() => call("list_projects"))) ?? [];
    render();
  } else {
    render();
    await run(() => call("reset", { kind: step.kind }));
    if (!state.error) await loadState();
  }
}

// Bound once on the page, not on each rendered button: fix buttons come and go with every render.
app.addEventListener("click", (ev) => {
  const button = (ev.target as HTMLElement).closest<HTMLButtonElement>("button[data-remedy]");
  if (button?.dataset.remedy) void doRemedy(JSON.parse(button.dataset.remedy) as Remedy);
});

// The catalogue is bundled: the first paint is the whole page, in the system's language, which the native
// dialogs follow too.
setLanguage(currentLanguage());
void call("set_language", { language: currentLanguage() });
render();
void call("interrupted_jobs").then((jobs) => {
  interrupted = jobs;
  if (jobs.length > 0) render();
});
