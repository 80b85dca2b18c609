"""Reading a small JSON file that may be hostile (a manifest): bounded size and nesting, every failure named."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from infogan_sdk.errors import CorruptModelError

MAX_BYTES = 1 << 20  # a manifest is a few kB; anything huge is not one of ours
MAX_DEPTH = 32  # ours nest 5 deep; much deeper breaks repr and copy.deepcopy (RecursionError)


def read_json_object(path: Path) -> dict[str, Any]:
    """The JSON object in `path` (UTF-8). Raises CorruptModelError when it is too big, not JSON, or too deep."""
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise CorruptModelError(f"{path} is {size} bytes; a manifest is at most {MAX_BYTES}")
    try:  # ValueError: bad UTF-8 or JSON, or an integer over 4300 characters long; RecursionError: very deep nesting
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as error:
        raise CorruptModelError(f"{path} is not valid JSON: {error}") from error
    if not isinstance(data, dict):
        raise CorruptModelError(f"{path} must hold a JSON object, got {type(data).__name__}")
    if depth(data) > MAX_DEPTH:
        raise CorruptModelError(f"{path} nests deeper than {MAX_DEPTH} levels; a manifest nests 5 deep")
    return data


def depth(value: Any) -> int:
    """Nesting depth of parsed JSON, level by level (no recursion): 0 for a scalar or {}, 1 for a flat object."""
    levels, level = -1, [value]
    while level:
        levels, level = levels + 1, [child for node in level for child in (
            node.values() if isinstance(node, dict) else node if isinstance(node, list) else ())]
    return levels
