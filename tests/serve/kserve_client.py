"""Run by tests/serve/test_kserve_client.py in KServe's own venv (kserve 0.21 needs pandas < 3; see
bench.serving_peers.envs): KServe's InferenceRESTClient (Open Inference Protocol, "v2") against `infogan serve`.

    python tests/serve/kserve_client.py BASE_URL MODEL IN.npz OUT.npz

IN holds the generator's inputs (noise, categorical, continuous); OUT gets, for JSON and binary tensors alike,
the generated images and the encoder's digit, probabilities and continuous for them."""

import asyncio
import sys

import numpy as np
from kserve import InferenceRESTClient, InferInput, InferRequest, RESTConfig
from kserve.protocol.infer_type import RequestedOutput

DATATYPES = {np.dtype(np.float32): "FP32", np.dtype(np.uint8): "UINT8"}
READ = ("digit", "probabilities", "continuous")


async def infer(client, url, model, arrays, binary, outputs):
    tensors = []
    for name, array in arrays.items():
        tensor = InferInput(name, list(array.shape), DATATYPES[array.dtype])
        tensor.set_data_from_numpy(array, binary_data=binary)
        tensors.append(tensor)
    wanted = [RequestedOutput(name, {"binary_data": binary}) for name in outputs]
    answer = await client.infer(url, InferRequest(model, tensors, request_outputs=wanted), model_name=model)
    return {output.name: output.as_numpy() for output in answer.outputs}


async def main(url, model, given, written):
    client = InferenceRESTClient(RESTConfig(protocol="v2", retries=1))
    inputs = dict(np.load(given))
    found = {}
    for mode, binary in (("json", False), ("binary", True)):
        images = (await infer(client, url, f"{model}-generator", inputs, binary, ["images"]))["images"]
        read = await infer(client, url, f"{model}-encoder", {"images": images}, binary, READ)
        found.update({f"{mode}_images": images, **{f"{mode}_{name}": read[name] for name in READ}})
    np.savez(written, **found)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
