import { describe, expect, it } from "vitest";
import { has, said, sayText, setLanguage, systemLanguage, t } from "../src/i18n";
import type { Said } from "../src/bindings";

describe("the catalogue in the window", () => {
  it("says the wizard's own words in the language switched to, with their values", () => {
    setLanguage("en");
    expect(t("proven", 7)).toBe("proven: 7 checks passed");
    setLanguage("de");
    expect(t("proven", 7)).toBe("nachgewiesen: 7 Prüfungen bestanden");
    expect(t("willUse", undefined, { url: "https://op.example.com" })).toContain("https://op.example.com");
  });

  it("says an engine text by its key, with a nested server name in the same language", () => {
    const timeout: Said = {
      key: "error-timeout",
      args: { server: { key: "server-identity_provider", args: {} }, at: "GET /x" },
    };
    expect(sayText(timeout, "en")).toBe("Identity provider did not answer in time (GET /x).");
    expect(sayText(timeout, "de")).toBe("Identitätsanbieter hat nicht rechtzeitig geantwortet (GET /x).");
  });

  it("keeps counts numbers, so plural rules apply", () => {
    expect(said("verdict-warnings_only", { warnings: 1 }, "de")).toContain("einer Warnung");
    expect(said("verdict-warnings_only", { warnings: 3 }, "de")).toContain("3 Warnungen");
    const counted: Said = { key: "verdict-warnings_only", args: { warnings: "2" } };
    expect(sayText(counted, "en")).toContain("2 warnings");
  });

  it("shows a missing key as the key, and knows it is missing", () => {
    expect(has("ui-noSuchWord")).toBe(false);
    expect(said("ui-noSuchWord")).toBe("ui-noSuchWord");
    expect(has("ui-proven", "de")).toBe(true);
  });

  it("starts in the system's language", () => {
    expect(systemLanguage(["de-DE", "en-US"])).toBe("de");
    expect(systemLanguage(["en-GB", "de-DE"])).toBe("en");
    expect(systemLanguage(["fr-FR"])).toBe("en");
  });
});
