import { describe, expect, it } from "vitest";
import { reaction } from "../src/errors";
import { remedyStep } from "../src/remedy";
import { progress, railAction, STAGES } from "../src/stages";
import type { SetupOptions } from "../src/bindings";

const options: SetupOptions = { storage_name: "Nextcloud", project_folders: true, replace_existing: false, sso: null };

describe("the stages", () => {
  it("run in order, each done, current or later", () => {
    expect(STAGES.map((s) => s.id)).toEqual(["sign-in", "review", "apply", "done"]);
    expect(progress("sign-in", "apply")).toBe("done");
    expect(progress("apply", "apply")).toBe("current");
    expect(progress("done", "review")).toBe("later");
  });

  it("offer the action each stage needs", () => {
    expect(railAction("sign-in", { hasPlan: false, written: false })).toBe("sign_in");
    expect(railAction("review", { hasPlan: true, written: false })).toBe("apply");
    expect(railAction("review", { hasPlan: false, written: false })).toBe("check_again");
    // A cancel after the first change rolls both sides back, and says so.
    expect(railAction("apply", { hasPlan: true, written: false })).toBe("cancel");
    expect(railAction("apply", { hasPlan: true, written: true })).toBe("cancel_and_roll_back");
    expect(railAction("done", { hasPlan: true, written: true })).toBeNull();
  });
});

describe("the error codes' branches", () => {
  it("offers the hand-off where OpenProject's page could not be used", () => {
    expect(reaction("web_session_required")).toBe("offer_handoff");
    expect(reaction("page_not_recognized")).toBe("offer_handoff");
  });
  it("shows nothing for a cancel, and the message for the rest", () => {
    expect(reaction("cancelled")).toBe("cancelled");
    for (const code of ["timeout", "proof_failed", "credentials_rejected", "manual_cleanup_required"] as const) {
      expect(reaction(code)).toBe("show");
    }
  });
});

describe("a finding's fix button", () => {
  it("sets up again, replacing what is there, when the remedy says so", () => {
    const step = remedyStep({ remedy: "setup_replacing" }, options);
    expect(step).toEqual({ to: "setup", options: { ...options, replace_existing: true }, then: "check" });
    // The options the admin had are not changed in place.
    expect(options.replace_existing).toBe(false);
  });
  it("goes to the projects step, the storage name, or the reset it names", () => {
    expect(remedyStep({ remedy: "enable_projects" }, options).then).toBe("projects");
    expect(remedyStep({ remedy: "setup_with_another_name" }, options).then).toBe("focus_storage_name");
    expect(remedyStep({ remedy: "reset", kind: "app_password" }, options)).toEqual({
      to: "manage", options, then: "reset", kind: "app_password",
    });
  });
});
