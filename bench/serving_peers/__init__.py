"""The serving section's peers (`bench.serving`): the same generator and encoder behind PyTriton, MLServer, Ray
Serve and LitServe, and an ASGI app that does nothing.

Each `*_app.py` is a script run by `bench.serving` in its peer's own virtual environment (`envs`: under the user's
cache, so a peer's pins never touch the main environment); it imports numpy, `infogan_sdk` and its peer only. `work`
is the job they all run: the SDK's own Generator.render and Encoder.infer on a batch of Open Inference Protocol
tensors.
"""
