import { afterEach, describe, expect, it } from "vitest";
import { clearMocks, mockIPC } from "@tauri-apps/api/mocks";
import { call } from "../src/backend";
import { reaction } from "../src/errors";
import type { ErrorView, SetupOptions } from "../src/bindings";

afterEach(() => clearMocks());

describe("the typed backend", () => {
  it("sends each command its arguments under their names", async () => {
    const seen: { cmd: string; args: unknown }[] = [];
    mockIPC((cmd, args) => {
      seen.push({ cmd, args });
      return cmd === "check_url" ? "https://op.example.com" : null;
    });
    const url = await call("check_url", { server: "open_project", input: "op.example.com/projects", allowInsecureHttp: false });
    expect(url).toBe("https://op.example.com");
    const options: SetupOptions = { storage_name: "Files", project_folders: false, replace_existing: true, sso: null };
    await call("review", { options });
    expect(seen.map((s) => s.cmd)).toEqual(["check_url", "review"]);
    expect(seen[1].args).toEqual({ options });
  });

  it("rejects with the error view, whose code picks the wizard's reaction", async () => {
    const refused: ErrorView = {
      code: "web_session_required",
      message: "Replacing OpenProject's OAuth values happens in OpenProject's web interface.",
      hint: "",
      said: { key: "error-web_session_replace", args: {} },
    };
    mockIPC((cmd) => {
      if (cmd === "reset") throw refused;
      return null;
    });
    const failure = await call("reset", { kind: "openproject_oauth" }).catch((e: ErrorView) => e);
    expect(failure).toEqual(refused);
    expect(reaction((failure as ErrorView).code)).toBe("offer_handoff");
  });

  it("calls a command without arguments with none", async () => {
    let args: unknown = "unset";
    mockIPC((cmd, a) => {
      if (cmd === "diagnose") args = a;
      return null;
    });
    await call("diagnose");
    expect(args).toEqual({});
  });
});
