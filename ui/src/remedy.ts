// What the wizard does when a finding's fix button is pressed: the core names the remedy as data, and this says
// which view, option and call carry it out — no face text is looked at.
import type { Remedy, ResetKind, SetupOptions } from "./bindings";

export type RemedyStep =
  /** Go to the setup view with these options and run the preflight again (the plan follows). */
  | { to: "setup"; options: SetupOptions; then: "check" }
  /** Go to the setup view and put the cursor in the storage name, which the admin changes. */
  | { to: "setup"; options: SetupOptions; then: "focus_storage_name" }
  /** Go to the projects step (it lists the projects to choose). */
  | { to: "setup"; options: SetupOptions; then: "projects" }
  /** Run a reset (the backend asks in a native dialog first). */
  | { to: "manage"; options: SetupOptions; then: "reset"; kind: ResetKind };

export function remedyStep(remedy: Remedy, options: SetupOptions): RemedyStep {
  switch (remedy.remedy) {
    case "setup":
      return { to: "setup", options, then: "check" };
    case "setup_replacing":
      return { to: "setup", options: { ...options, replace_existing: true }, then: "check" };
    case "setup_with_another_name":
      return { to: "setup", options, then: "focus_storage_name" };
    case "enable_projects":
      return { to: "setup", options, then: "projects" };
    case "reset":
      return { to: "manage", options, then: "reset", kind: remedy.kind };
    default: {
      const unhandled: never = remedy;
      return unhandled;
    }
  }
}
