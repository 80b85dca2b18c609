// One lane of a Node Generator: an onnxruntime-node session of its own in a worker thread. Sessions in one thread
// do not run side by side (onnxruntime-node serialises their calls), so lanes live in workers. Messages:
// {id, feeds: {name: [Float32Array, dims]}} -> {id, images: Float32Array} or {id, error: message}.

import { parentPort, workerData } from "node:worker_threads";

import * as ort from "onnxruntime-node";

const session = await ort.InferenceSession.create(workerData.bytes, workerData.options);
parentPort.on("message", async ({ id, feeds }) => {
  try {
    const tensors = Object.fromEntries(Object.entries(feeds).map(([name, [data, dims]]) => [name, new ort.Tensor("float32", data, dims)]));
    const { images } = await session.run(tensors, ["images"]);
    parentPort.postMessage({ id, images: images.data }, [images.data.buffer]);
  } catch (error) {
    parentPort.postMessage({ id, error: error.message });
  }
});
