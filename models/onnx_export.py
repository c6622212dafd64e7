"""The whole risk model as one ONNX graph: raw input columns in, calibrated probability out.

The graph repeats RiskModel.score step by step: the derived ratios, each part's log-odds (the
linear part with standard ops, the forest's stored graph, the booster converted to a tree
ensemble giving its margin), the stacking sum, the sigmoid and the calibration map. Arithmetic
outside the tree ensembles runs in float64, as RiskModel does; the trees see float32 rows, as
they do in RiskModel. Nothing here runs at import, and nothing here writes a file.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np
import onnx
from numpy.typing import NDArray
from onnx import TensorProto, compose, helper, numpy_helper

from models.features import DERIVED, EPSILON, add_derived
from models.portable import booster_from_text
from models.risk_model import (
    BoosterPart,
    CalibrationMap,
    ForestPart,
    LinearPart,
    Part,
    RiskModel,
)

INPUT = "features"
OUTPUT = "probability"
OPSETS = {"": 17, "ai.onnx.ml": 3}
IR_VERSION = 8  # the first IR version for opset 17: older runtimes load the graph too
CONVERTER_OPSET = 15  # the highest main-domain opset onnxmltools's XGBoost converter accepts
DOUBLE = TensorProto.DOUBLE
FLOAT = TensorProto.FLOAT
REGRESSOR_ATTRIBUTES = {"class_ids": "target_ids", "class_nodeids": "target_nodeids",
                        "class_treeids": "target_treeids", "class_weights": "target_weights"}


class GraphBuilder:
    """Nodes and initializers of the graph being built, each output under a fresh name."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.count = 0

    def fresh(self, hint: str) -> str:
        """A tensor name not used before in this graph."""
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, values: Any, dtype: type[np.generic] = np.float64) -> str:
        """An initializer holding the values."""
        name = self.fresh("const")
        self.initializers.append(numpy_helper.from_array(np.asarray(values, dtype=dtype), name))
        return name

    def op(self, op_type: str, *inputs: str, **attributes: Any) -> str:
        """One node with a single output; its output's name."""
        output = self.fresh(op_type.lower())
        self.nodes.append(helper.make_node(op_type, list(inputs), [output], **attributes))
        return output

    def embed(self, graph: onnx.GraphProto, prefix: str, source: str) -> list[str]:
        """Another graph's nodes under a name prefix, fed from source; its outputs' names."""
        renamed = compose.add_prefix_graph(graph, prefix)
        self.nodes.append(helper.make_node("Identity", [source], [renamed.input[0].name]))
        self.nodes.extend(renamed.node)
        self.initializers.extend(renamed.initializer)
        return [output.name for output in renamed.output]


def derived_matrix(builder: GraphBuilder, features: str, inputs: tuple[str, ...]) -> str:
    """The float64 rows with RiskModel's derived ratios appended, as add_derived does."""
    _, names = add_derived(np.zeros((1, len(inputs))), inputs)
    columns = [features]
    for name in names[len(inputs):]:
        numerator, denominator = (column(builder, features, inputs.index(source))
                                  for source in DERIVED[name])
        columns.append(ratio(builder, numerator, denominator))
    return columns[0] if len(columns) == 1 else builder.op("Concat", *columns, axis=1)


def column(builder: GraphBuilder, matrix: str, index: int) -> str:
    """One column of a matrix, kept two-dimensional [N, 1]."""
    return builder.op("Gather", matrix, builder.const([index], np.int64), axis=1)


def ratio(builder: GraphBuilder, numerator: str, denominator: str) -> str:
    """numerator / max(denominator, 1), NaN staying NaN as with np.maximum."""
    one = builder.const(1.0)
    floor = builder.op("Where", builder.op("Less", denominator, one), one, denominator)
    return builder.op("Div", numerator, floor)


def logit(builder: GraphBuilder, probability: str) -> str:
    """log(p / (1 − p)) with p clipped to [ε, 1 − ε], in float64."""
    clipped = builder.op("Clip", probability, builder.const(EPSILON), builder.const(1 - EPSILON))
    complement = builder.op("Sub", builder.const(1.0), clipped)
    return builder.op("Log", builder.op("Div", clipped, complement))


def linear_log_odds(builder: GraphBuilder, part: LinearPart, matrix: str) -> str:
    """Impute → signed log1p → standardise → dot coef + intercept."""
    imputed = builder.op("Where", builder.op("IsNaN", matrix), builder.const(part.medians),
                         matrix)
    magnitude = builder.op("Log", builder.op("Add", builder.op("Abs", imputed),
                                             builder.const(1.0)))
    logged = builder.op("Mul", builder.op("Sign", imputed), magnitude)
    standardized = builder.op("Div", builder.op("Sub", logged, builder.const(part.mean)),
                              builder.const(part.scale))
    dot = builder.op("MatMul", standardized, builder.const(part.coef))
    return builder.op("Add", dot, builder.const(part.intercept))


def forest_log_odds(builder: GraphBuilder, part: ForestPart, matrix32: str, prefix: str) -> str:
    """The stored forest graph's positive-class probability as log-odds."""
    graph = onnx.load_from_string(base64.b64decode(part.onnx)).graph
    probabilities = builder.embed(graph, prefix, matrix32)[1]
    positive = builder.op("Gather", probabilities, builder.const(1, np.int64), axis=1)
    return logit(builder, builder.op("Cast", positive, to=DOUBLE))


def booster_graph(text: str, width: int) -> onnx.GraphProto:
    """The booster converted to ONNX, its classifier node turned into a margin regressor."""
    from onnxmltools import convert_xgboost  # noqa: PLC0415  (only exporting needs it)
    from onnxmltools.convert.common.data_types import FloatTensorType  # noqa: PLC0415

    converted = convert_xgboost(booster_from_text(text),
                                initial_types=[("X", FloatTensorType([None, width]))],
                                target_opset=CONVERTER_OPSET)
    (classifier,) = converted.graph.node
    regressor = margin_regressor(classifier, "margin")
    return helper.make_graph([regressor], "booster", list(converted.graph.input),
                             [helper.make_tensor_value_info("margin", FLOAT, [None, 1])])


def margin_regressor(classifier: onnx.NodeProto, output: str) -> onnx.NodeProto:
    """A TreeEnsembleRegressor summing the classifier's trees with no link: the margin."""
    attributes = {REGRESSOR_ATTRIBUTES.get(a.name, a.name): helper.get_attribute_value(a)
                  for a in classifier.attribute
                  if a.name not in ("classlabels_int64s", "classlabels_strings",
                                    "post_transform")}
    return helper.make_node("TreeEnsembleRegressor", [classifier.input[0]], [output],
                            domain="ai.onnx.ml", n_targets=1, post_transform="NONE",
                            aggregate_function="SUM", **attributes)


def booster_log_odds(builder: GraphBuilder, part: BoosterPart, matrix32: str, width: int,
                     prefix: str) -> str:
    """The booster's margin, one value per row, in float64."""
    margin = builder.embed(booster_graph(part.text, width), prefix, matrix32)[0]
    flat = builder.op("Reshape", margin, builder.const([-1], np.int64))
    return builder.op("Cast", flat, to=DOUBLE)


def part_log_odds(builder: GraphBuilder, part: Part, matrix: str, matrix32: str, width: int,
                  number: int) -> str:
    """One part's log-odds of each row."""
    prefix = f"part{number}_"
    if isinstance(part, LinearPart):
        return linear_log_odds(builder, part, matrix)
    if isinstance(part, ForestPart):
        return forest_log_odds(builder, part, matrix32, prefix)
    return booster_log_odds(builder, part, matrix32, width, prefix)


def stacked(builder: GraphBuilder, log_odds: list[str], weights: tuple[float, ...],
            bias: float) -> str:
    """One part's log-odds, or bias + Σ weight · log-odds of a stack."""
    if len(log_odds) == 1:
        return log_odds[0]
    total = builder.const(bias)
    for weight, odds in zip(weights, log_odds, strict=True):
        total = builder.op("Add", total, builder.op("Mul", odds, builder.const(weight)))
    return total


def calibrated(builder: GraphBuilder, raw: str, calibration: CalibrationMap) -> str:
    """The calibration map applied to raw probabilities."""
    if calibration.method == "platt":
        scaled = builder.op("Mul", logit(builder, raw), builder.const(calibration.xs[0]))
        return builder.op("Sigmoid", builder.op("Add", scaled, builder.const(calibration.ys[0])))
    return interpolated(builder, raw, np.array(calibration.xs), np.array(calibration.ys))


def interpolated(builder: GraphBuilder, raw: str, xs: NDArray[np.float64],
                 ys: NDArray[np.float64]) -> str:
    """np.interp(raw, xs, ys): y₀ + Σ segments' clipped fractions · their rise (steps at ties)."""
    first = builder.op("Add", builder.op("Mul", raw, builder.const(0.0)), builder.const(ys[0]))
    if len(xs) < 2:
        return first
    lows, widths = xs[:-1], np.diff(xs)
    across = builder.op("Unsqueeze", raw, builder.const([1], np.int64))
    shifted = builder.op("Sub", across, builder.const(lows))
    ramps = builder.op("Clip", builder.op("Div", shifted, builder.const(np.where(widths > 0,
                                                                                  widths, 1.0))),
                       builder.const(0.0), builder.const(1.0))
    steps = builder.op("Cast", builder.op("GreaterOrEqual", across, builder.const(lows)),
                       to=DOUBLE)
    fractions = builder.op("Where", builder.const(widths > 0, np.bool_), ramps, steps)
    return builder.op("Add", builder.op("MatMul", fractions, builder.const(np.diff(ys))), first)


def risk_onnx(model: dict[str, Any]) -> onnx.ModelProto:
    """The saved risk model as one ONNX graph: "features" [N, inputs] → "probability" [N]."""
    risk = RiskModel.from_json(model)
    builder = GraphBuilder()
    matrix = derived_matrix(builder, builder.op("Cast", INPUT, to=DOUBLE), risk.inputs)
    matrix32 = builder.op("Cast", matrix, to=FLOAT)
    width = len(risk.features)
    log_odds = [part_log_odds(builder, part, matrix, matrix32, width, number)
                for number, part in enumerate(risk.parts)]
    raw = builder.op("Sigmoid", stacked(builder, log_odds, risk.weights, risk.bias))
    probability = calibrated(builder, raw, risk.calibration)
    builder.nodes.append(helper.make_node("Cast", [probability], [OUTPUT], to=FLOAT))
    graph = helper.make_graph(
        builder.nodes, "diffrisk_risk",
        [helper.make_tensor_value_info(INPUT, FLOAT, [None, len(risk.inputs)])],
        [helper.make_tensor_value_info(OUTPUT, FLOAT, [None])], builder.initializers)
    return helper.make_model(graph, producer_name="diffrisk", ir_version=IR_VERSION,
                             opset_imports=[helper.make_opsetid(d, v) for d, v in OPSETS.items()])


def risk_onnx_bytes(model: dict[str, Any]) -> bytes:
    """The risk model's ONNX graph, checked, serialized."""
    graph = risk_onnx(model)
    onnx.checker.check_model(graph, full_check=True)
    return bytes(graph.SerializeToString())
