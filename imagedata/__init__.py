"""Image data sets for training and evaluation, one adapter for every source: `open_source("fashion")`,
`open_source("folder:photos", Options(size=32, channels=3, policy="crop"))` give a `DataSet` (train and test
splits of uint8 images, optional labels and class names, known factors, file checksums, `describe()`).

Modules: `dataset` (the adapter and its checks), `sources` (source strings, named sets), one reader per kind of
source (`idx`, `npz`, `folder` with `decoding` and `cache`, `fake`), `convert` (size and channels); data sets with
known factors, generated (`shapes`, `dsprites`, drawn by `draw`, written by `write`: `python -m imagedata`).
A leaf below train, export and evaluate: numpy and Pillow, `mnist_data` and the SDK's pure-Python helpers (errors,
atomic writes, image walking); never torch, `train`, `export` or `evaluate`.
"""

from imagedata.dataset import DataSet, Split
from imagedata.sources import Options, default_options, open_source, parse_source

__all__ = ["DataSet", "Options", "Split", "default_options", "open_source", "parse_source"]
