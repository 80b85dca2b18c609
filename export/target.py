"""Where export may write a model folder: the one check every export command makes (`python -m export`,
`export.noise`, `export.rescore`, `export.quantize`). Torch-free, so the quantizer and the benches can use it."""

from __future__ import annotations

from pathlib import Path

from infogan_sdk.errors import CorruptModelError, OutputExistsError
from infogan_sdk.loading.jsonfile import read_json_object
from infogan_sdk.loading.manifest import FORMAT, MANIFEST_NAME


def check_target(out: Path, reads: tuple[Path, ...], overwrite: bool) -> bool:
    """Whether export may write the model folder `out`: True if it replaces a folder there, False if `out` is new.

    Refused (OutputExistsError): `out` holding what export reads (`reads`: the checkpoint or run folder, itself or
    a folder above it), a file or link at `out`, a non-empty folder that is not a model folder (a manifest.json of
    ours and files only), and a model folder unless `overwrite`.
    """
    target = out.resolve()
    for read in reads:
        source = read.resolve()
        if source == target or target in source.parents:
            raise OutputExistsError(f"--out {out} {'is' if source == target else 'holds'} {read}, which export "
                                    "reads: expected a model folder outside it (nothing was changed)")
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise OutputExistsError(f"--out {out} is a {'link' if out.is_symlink() else 'file'}: expected a new folder or "
                                "a model folder (nothing was changed)")
    entries = sorted(entry.name for entry in out.iterdir()) if out.exists() else []
    if not entries:
        return out.exists()
    if not _is_model_folder(out):
        shown = ", ".join(entries[:3]) + (f" and {len(entries) - 3} more" if len(entries) > 3 else "")
        raise OutputExistsError(f"--out {out} is not empty and is not a model folder (it holds {shown}): expected a "
                                "new or empty folder, or a model folder to replace with --overwrite (nothing was "
                                "changed)")
    if not overwrite:
        raise OutputExistsError(f"--out {out} already holds a model folder: pass --overwrite to replace it "
                                "(nothing was changed)")
    return True


def _is_model_folder(folder: Path) -> bool:
    """A folder of files only, with a manifest.json in the SDK's format (its files may be damaged: it is replaced)."""
    if any(entry.is_dir() for entry in folder.iterdir()) or not (folder / MANIFEST_NAME).is_file():
        return False
    try:
        return read_json_object(folder / MANIFEST_NAME).get("format") == FORMAT
    except (CorruptModelError, OSError):
        return False
