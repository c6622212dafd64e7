"""The shipped risk model kept in the data directory in a form that loads in milliseconds:
its JSON without the forest's ONNX graph, and the forest as numpy arrays (an .npz read without
pickles); likewise the arrays of other forest graphs (the anomaly model's). Decompressing the
shipped model and building an onnxruntime session over its forest takes about a second; the
cached forms give the same scores (models/forest_arrays.py). The files are named by a hash of
what they were made from, so a new build or model never reads an old cache."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.forest_arrays import ForestArrays
    from models.risk_model import RiskModel

CACHE_FORMAT = 1
FOLDER = "models"


def cached_shipped_risk_model(data_dir: Path | None) -> RiskModel | None:
    """The shipped risk model (None when this build has none), through the cache in
    data_dir/models when a data directory is given."""
    from models.shipped import risk_model_from_bytes, shipped_risk_bytes  # noqa: PLC0415

    stored = shipped_risk_bytes()
    if stored is None:
        return None
    if data_dir is None:
        return risk_model_from_bytes(stored)
    stem = data_dir / FOLDER / (f"shipped-risk-{CACHE_FORMAT}-"
                                f"{hashlib.sha256(stored).hexdigest()[:32]}")
    cached = read_cache(stem)
    if cached is not None:
        return cached
    return write_cache(stem, risk_model_from_bytes(stored))


def cached_forest_arrays(onnx_text: str, data_dir: Path) -> ForestArrays | None:
    """A forest ONNX graph (base64 text) as numpy arrays, through data_dir/models; None when
    the graph is not one the arrays reproduce exactly (then keep onnxruntime)."""
    import base64  # noqa: PLC0415

    import numpy as np  # noqa: PLC0415

    from models.forest_arrays import ForestArrays, forest_from_onnx  # noqa: PLC0415

    digest = hashlib.sha256(onnx_text.encode("ascii")).hexdigest()[:32]
    path = data_dir / FOLDER / f"forest-{CACHE_FORMAT}-{digest}.npz"
    try:
        with np.load(path, allow_pickle=False) as stored:
            return ForestArrays.from_arrays(dict(stored))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        arrays = forest_from_onnx(base64.b64decode(onnx_text))
    except ValueError:
        return None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(path, lambda handle: np.savez(handle, **arrays.to_arrays()))  # type: ignore[arg-type]
    except OSError:
        pass
    return arrays


def with_cached_forests(model: RiskModel, data_dir: Path) -> RiskModel:
    """The model with its forest parts walked as arrays kept in data_dir (a repository's own
    stacked model; parts the arrays cannot reproduce keep onnxruntime)."""
    import dataclasses  # noqa: PLC0415

    from models.risk_model import ForestPart, Part  # noqa: PLC0415

    parts: list[Part] = []
    for part in model.parts:
        if isinstance(part, ForestPart) and part.arrays is None:
            arrays = cached_forest_arrays(part.onnx, data_dir)
            if arrays is not None:
                part = dataclasses.replace(part, arrays=arrays)  # noqa: PLW2901
        parts.append(part)
    return dataclasses.replace(model, parts=tuple(parts))


def read_cache(stem: Path) -> RiskModel | None:
    """The model cached under stem, or None when absent or unreadable."""
    import numpy as np  # noqa: PLC0415

    from models.risk_forests import join_forests  # noqa: PLC0415

    try:
        data = json.loads(stem.with_suffix(".json").read_text(encoding="utf-8"))
        with np.load(stem.with_suffix(".npz"), allow_pickle=False) as arrays:
            return join_forests(data, dict(arrays))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_cache(stem: Path, model: RiskModel) -> RiskModel:
    """Cache the model under stem (arrays first, the JSON last: a reader needs both) and
    return it walking its forests with numpy; unchanged when a forest cannot be converted or
    the folder cannot be written."""
    import numpy as np  # noqa: PLC0415

    from models.risk_forests import split_forests, with_forest_arrays  # noqa: PLC0415

    try:
        model = with_forest_arrays(model)
        data, arrays = split_forests(model)
        stem.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(stem.with_suffix(".npz"),
                      lambda handle: np.savez(handle, **arrays))  # type: ignore[arg-type]
        _atomic_write(stem.with_suffix(".json"),
                      lambda handle: handle.write(json.dumps(data).encode("utf-8")))
    except (OSError, ValueError):
        pass
    return model


def _atomic_write(path: Path, write: Any) -> None:
    """Write a file through a temporary one in the same folder, then rename it into place."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
