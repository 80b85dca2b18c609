"""Writing a generated data set where the adapter reads it: an .npz archive (`npz`'s keys, stored uncompressed so
its arrays are memory-mapped) or an image folder (`folder`'s layout: train/ and test/, one subfolder per class).
Both are written whole under a temporary name and renamed into place (`infogan_sdk.atomic`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from infogan_sdk.atomic import atomic_output

FORMATS = ("npz", "folder")
# (labels (N,), the split's images in chunks of uint8 (n, H, W) or (n, H, W, 3), in order)
FolderSplit = tuple[NDArray[np.int64], Iterable[NDArray[np.uint8]]]


def save_npz(path: Path, arrays: Mapping[str, NDArray[Any]], overwrite: bool = False) -> None:
    """`arrays` as an uncompressed .npz at `path` (numpy.savez), atomically; OutputExistsError if it exists."""
    with atomic_output(path, overwrite=overwrite) as temporary, open(temporary, "wb") as stream:
        np.savez(stream, **arrays)  # type: ignore[arg-type]


def save_folder(root: Path, splits: Mapping[str, FolderSplit], class_names: tuple[str, ...],
                overwrite: bool = False) -> int:
    """PNG files root/SPLIT/CLASS/NNNNNN.png (NNNNNN: the image's row in its split), atomically; the file count."""
    written = 0
    with atomic_output(root, folder=True, overwrite=overwrite) as work:
        for split, (labels, chunks) in splits.items():
            for name in class_names:
                (work / split / name).mkdir(parents=True)
            row = 0
            for chunk in chunks:
                for image in chunk:
                    mode = "RGB" if image.ndim == 3 else "L"
                    folder = work / split / class_names[int(labels[row])]
                    Image.fromarray(image, mode).save(folder / f"{row:06d}.png", optimize=False)
                    row += 1
            assert row == len(labels), f"{split}: {row} images for {len(labels)} labels"
            written += row
    return written
