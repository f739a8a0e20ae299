// Writes crds/<plural>.<group>.yaml from the zod schemas in src/api.
// tests/unit/api/crds.test.ts fails when crds/ is stale.
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderCrds } from "../src/api/render-crds.ts";

const dir = fileURLToPath(new URL("../crds/", import.meta.url));
mkdirSync(dir, { recursive: true });
for (const [file, text] of renderCrds()) {
  writeFileSync(dir + file, text);
  console.log(`wrote crds/${file}`);
}
