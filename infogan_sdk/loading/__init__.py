"""Loading a model: finding its folder, reading and checking its manifest (through the safe JSON reader), what its
codes mean (the codebook), and the onnxruntime sessions that run its files (variants, lanes).

May import the package's leaves (`spec`, `errors`, `atomic`) and each other; never the public classes, the CLI or
the service.
"""
