import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  build: { target: "es2022", outDir: "dist", emptyOutDir: true },
  // The contrast test reads app.css as text (vitest empties CSS files unless told).
  test: { include: ["src/**/*.test.ts"], environment: "node", css: { include: [/app\.css/] } },
});
