import type { ErrorCode } from "./bindings";

/** What the wizard does after a call failed. */
export type Reaction =
  /** Show the message and hint above the current step. */
  | "show"
  /** "Replace OpenProject OAuth" could not use OpenProject's page (nothing was sent): offer the hand-off. */
  | "offer_handoff"
  /** The admin cancelled: nothing to show, the view is read again. */
  | "cancelled";

/**
 * The reaction to each error code. Exhaustive on purpose: a code added in Rust (`ErrorCode`, generated into
 * bindings.ts) fails the type check here until the wizard decides what it does with it.
 */
export function reaction(code: ErrorCode): Reaction {
  switch (code) {
    case "page_not_recognized":
    case "web_session_required":
      return "offer_handoff";
    case "cancelled":
      return "cancelled";
    case "not_signed_in":
    case "session_ended":
    case "invalid_url":
    case "insecure_url":
    case "dns_failed":
    case "connection_refused":
    case "tls_certificate":
    case "tls_failed":
    case "could_not_connect":
    case "timeout":
    case "connection_dropped":
    case "redirected_to_other_host":
    case "credentials_rejected":
    case "two_factor_requires_app_password":
    case "not_admin":
    case "password_confirmation_required":
    case "openproject_api_error":
    case "nextcloud_api_error":
    case "unexpected_status":
    case "unparseable_body":
    case "response_too_large":
    case "incomplete_answer":
    case "proof_failed":
    case "interrupted":
    case "journal_failed":
    case "two_factor_requires_browser_sign_in":
    case "single_sign_on_only":
    case "sign_in_step_needs_browser":
    case "result_not_shown":
    case "plan_changed":
    case "missing_credential":
    case "no_storage":
    case "preflight_blocked":
    case "keyring_unavailable":
    case "window_closed":
    case "demo_only":
    case "watch_timed_out":
    case "client_setup_failed":
    case "demo_unavailable":
    case "invalid_input":
    case "local_failure":
    case "manual_cleanup_required":
      return "show";
    default: {
      const unhandled: never = code;
      return unhandled;
    }
  }
}
