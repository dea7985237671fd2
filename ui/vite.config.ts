import { defineConfig } from "vite";

// Tauri serves the built files; relative paths keep them working from the app bundle.
export default defineConfig({
  base: "./",
  build: { outDir: "dist", emptyOutDir: true, target: "es2021" },
  clearScreen: false,
});
