"""The Open Inference Protocol (KServe V2, as Triton speaks it) beside /v1: every loaded model's generator and
encoder as the protocol models `<model>-generator` and `<model>-encoder`, over REST under /v2 (JSON and Triton's
binary tensor extension) and, with --grpc-port, over gRPC.

Modules: tensors (datatypes, shapes, arrays from JSON or raw bytes), models (the protocol models over /v1's loaded
models and batchers), binary (REST bodies both ways), rest (the /v2 routes), grpc_server (grpc.aio; the grpc
extra), proto/ (generated gRPC messages). They import fastapi (rest), grpcio (grpc_server) and serve's own modules.
"""
