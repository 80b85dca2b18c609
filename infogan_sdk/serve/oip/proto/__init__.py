"""The Open Inference Protocol's gRPC messages and service, generated: do not edit by hand.

open_inference_grpc.proto is kserve/open-inference-protocol's specification/protocol/open_inference_grpc.proto
(commit d49cc23f89d709d87b210ef9449e273ae243984e), placed at infogan_sdk/serve/oip/proto/ so the generated modules
import each other by their package path. Made with grpcio-tools 1.78.0 (protoc for protobuf 6.31.1: runs on
protobuf >= 6.31.1), from a folder holding infogan_sdk/serve/oip/proto/open_inference_grpc.proto:

    python -m grpc_tools.protoc -I. --python_out=OUT --grpc_python_out=OUT \\
        infogan_sdk/serve/oip/proto/open_inference_grpc.proto

then one line changed in open_inference_grpc_pb2.py, `_descriptor_pool.Default()` ->
`_descriptor_pool.DescriptorPool()`,
so these `inference.*` messages live in a pool of their own and a process that also imports tritonclient.grpc
(whose grpc_service.proto defines the same names) does not fail with "duplicate symbol".
"""
