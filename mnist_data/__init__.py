"""MNIST itself, for every package that measures against it: the IDX files (`files`: found, read, checked,
downloaded) and a categorical code matched to MNIST's labels (`matching`: the Hungarian code-to-digit map,
accuracy, NMI).

A leaf: numpy and scipy, and `infogan_sdk.atomic` for downloads; never torch, `train`, `export` or `evaluate`,
so training and evaluation share it without importing each other.
"""
