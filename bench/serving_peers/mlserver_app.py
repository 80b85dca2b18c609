"""MLServer: a custom runtime calling the SDK, with MLServer's adaptive batching (max_batch_size 64,
max_batch_time 0.5 ms: it batches only with a wait above 0), inference in the server process
(parallel_workers 0). `main` starts `mlserver start` on the folder `mlserver/` beside this file, the model folder,
threads and ports passed by environment. Run in its venv (`envs`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mlserver import MLModel
from mlserver.codecs import NumpyCodec
from mlserver.types import InferenceRequest, InferenceResponse

from bench.serving_peers.work import Work, arguments

FOLDER = Path(__file__).resolve().parent / "mlserver"


class Runtime(MLModel):  # type: ignore[misc]
    """One role of the model (model-settings' parameters.extra.role) on a shared-nothing Work."""

    async def load(self) -> bool:
        self.role = self.settings.parameters.extra["role"]
        self.work = Work(os.environ["BENCH_MODEL_DIR"], int(os.environ["BENCH_THREADS"]))
        return True

    async def predict(self, payload: InferenceRequest) -> InferenceResponse:
        inputs = {item.name: NumpyCodec.decode_input(item) for item in payload.inputs}
        outputs = self.work.run(self.role, inputs)
        return InferenceResponse(model_name=self.name, outputs=[NumpyCodec.encode_output(name, array)
                                                                for name, array in outputs.items()])


def main() -> None:
    args = arguments(__doc__ or "")
    grpc_port, metrics_port = args.spare_ports.split(",")
    os.environ.update(BENCH_MODEL_DIR=str(Path(args.model_dir).resolve()), BENCH_THREADS=str(args.threads),
                      MLSERVER_HTTP_PORT=str(args.port), MLSERVER_GRPC_PORT=grpc_port,
                      MLSERVER_METRICS_PORT=metrics_port)
    mlserver = Path(sys.executable).with_name("mlserver")
    os.execv(mlserver, [str(mlserver), "start", str(FOLDER)])


if __name__ == "__main__":
    main()
