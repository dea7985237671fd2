/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// Tauri serves the built files; relative paths keep them working from the app bundle.
export default defineConfig({
  base: "./",
  build: { outDir: "dist", emptyOutDir: true, target: "es2021" },
  clearScreen: false,
  // The catalogue lives beside the engine that speaks it too (crates/opnc-core/locales), outside ui/.
  server: { fs: { allow: [".."] } },
  // The unit tests run in a simulated DOM, with Tauri's IPC mocked (`@tauri-apps/api/mocks`).
  test: { environment: "happy-dom", include: ["tests/**/*.test.ts"] },
});
