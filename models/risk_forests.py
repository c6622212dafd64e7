"""A risk model's forests as numpy arrays: converted once from their ONNX graphs, then kept
apart from the model's JSON (which loses the graphs) so that loading both takes milliseconds.
The probabilities are onnxruntime's, bit for bit (models/forest_arrays.py)."""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Mapping
from typing import Any

from numpy.typing import NDArray

from models.forest_arrays import ForestArrays, forest_from_onnx
from models.risk_model import ForestPart, RiskModel


def with_forest_arrays(model: RiskModel) -> RiskModel:
    """The model with every forest part converted to arrays (ValueError when one cannot)."""
    parts = tuple(dataclasses.replace(part, arrays=forest_from_onnx(base64.b64decode(part.onnx)))
                  if isinstance(part, ForestPart) and part.arrays is None else part
                  for part in model.parts)
    return dataclasses.replace(model, parts=parts)


def split_forests(model: RiskModel) -> tuple[dict[str, Any], dict[str, NDArray[Any]]]:
    """The model's JSON without its forests' graphs, and their arrays named part<i>.<field>."""
    arrays: dict[str, NDArray[Any]] = {}
    parts = []
    for index, part in enumerate(model.parts):
        if isinstance(part, ForestPart):
            if part.arrays is None:
                raise ValueError("convert the forests first (with_forest_arrays)")
            arrays.update({f"part{index}.{name}": value
                           for name, value in part.arrays.to_arrays().items()})
            parts.append({"kind": "forest", "onnx": "", "medians": part.medians.tolist()})
        else:
            parts.append(part.to_json())
    return {**_json_without_parts(model), "parts": parts}, arrays


def _json_without_parts(model: RiskModel) -> dict[str, Any]:
    """Everything of the model's JSON but its parts."""
    light = dataclasses.replace(model, parts=())
    return {key: value for key, value in light.to_json().items() if key != "parts"}


def join_forests(data: dict[str, Any], arrays: Mapping[str, Any]) -> RiskModel:
    """The model split_forests split, its forests walked with numpy."""
    model = RiskModel.from_json(data)
    parts = []
    for index, part in enumerate(model.parts):
        prefix = f"part{index}."
        parts.append(dataclasses.replace(part, arrays=ForestArrays.from_arrays(
            {key[len(prefix):]: arrays[key] for key in arrays if key.startswith(prefix)}))
            if isinstance(part, ForestPart) else part)
    return dataclasses.replace(model, parts=tuple(parts))
