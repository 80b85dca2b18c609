// Node timings of the package: generate and infer at one batch size, printed as JSON for bench/web.py.
//   node bench/node.js [--threads 1] [--batch 256] [--repeats 20] [--model FOLDER]

import { parseArgs } from "node:util";

import { DEFAULT_MODEL, Encoder, Generator } from "../src/node.js";

const { values } = parseArgs({ options: { threads: { type: "string", default: "1" }, batch: { type: "string", default: "256" },
  repeats: { type: "string", default: "20" }, model: { type: "string", default: DEFAULT_MODEL } } });
const [threads, batch, repeats] = [values.threads, values.batch, values.repeats].map(Number);

async function best(job) {
  await job(); // warm-up: sessions allocate on the first run
  const times = [];
  for (let i = 0; i < repeats; i += 1) {
    const start = process.hrtime.bigint();
    await job();
    times.push(Number(process.hrtime.bigint() - start) / 1e9);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]; // the median
}

const generator = await Generator.load(values.model, { threads });
const encoder = await Encoder.load(values.model, { threads });
const made = await generator.generate({ count: batch, seed: 0 });
const images = Array.from({ length: batch }, (_, i) => ({ width: 28, height: 28, data: made.image(i) }));
const generate = await best(() => generator.generate({ count: batch, seed: 0 }));
const infer = await best(() => encoder.infer(images));
console.log(JSON.stringify({ threads, batch, generate_images_per_s: batch / generate, infer_images_per_s: batch / infer }));
