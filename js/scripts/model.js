// npm pack's hooks: `node scripts/model.js copy` puts the default model folder (the Python SDK's
// infogan_sdk/models/mnist) into model/ so the tarball carries it; `node scripts/model.js remove` takes it out again,
// so a checkout always reads the Python SDK's folder itself (src/node.js: DEFAULT_MODEL).

import { cp, rm } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const SOURCE = fileURLToPath(new URL("../../infogan_sdk/models/mnist/", import.meta.url));
const TARGET = fileURLToPath(new URL("../model/", import.meta.url));
const FILES = ["manifest.json", "generator.onnx", "encoder.onnx"];

const action = process.argv[2];
if (action === "copy") {
  await rm(TARGET, { recursive: true, force: true });
  for (const name of FILES) await cp(SOURCE + name, TARGET + name);
} else if (action === "remove") {
  await rm(TARGET, { recursive: true, force: true });
} else {
  console.error(`usage: node scripts/model.js copy|remove (got ${action})`);
  process.exit(2);
}
