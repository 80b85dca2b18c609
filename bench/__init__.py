"""The benchmark suite: the SDK against PyTorch eager on the same weights, run as `python -m bench`.

Not part of the installed SDK: it needs torch and the training code (see docs/BENCHMARKS.md).
"""
