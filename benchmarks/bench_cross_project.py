"""The cross-project risk model on repositories it was not trained on, and its shipping.

For each held-out repository's CSV (from `diffrisk mine --output`): train the repository's own
model exactly as `diffrisk train` does, then score the same held-out rows (newest 20%, labels
known today, the last latency window left out) with the cross-project model, and print both.
With --ship, stamp the model with its version and training sources and write it where the
package ships it (models/pretrained/risk.json.gz).

    diffrisk train --data A.csv --data B.csv … --save cross.json.gz
    python -m benchmarks.bench_cross_project --model cross.json.gz --train A.csv … \\
        --test C.csv … [--ship 1.0.0]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.training_run import compare_on_window, save_model
from models.dataset import load_dataset
from models.risk_model import RiskModel
from models.training import TrainingOptions, train_and_evaluate

SHIPPED = Path(__file__).resolve().parent.parent / "models" / "pretrained" / "risk.json.gz"


def day(timestamp: float) -> str:
    """A unix time as YYYY-MM-DD."""
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")


def source_of(path: Path) -> dict[str, Any]:
    """A training CSV's repository name, commit count, first and last commit and dates."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda row: float(row["date"]))
    return {"repository": path.stem, "commits": len(rows), "first": rows[0]["id"],
            "last": rows[-1]["id"], "from": day(float(rows[0]["date"])),
            "to": day(float(rows[-1]["date"]))}


def held_out_row(path: Path, model: RiskModel) -> dict[str, Any]:
    """The own model's and the cross-project model's test metrics on one repository."""
    data = load_dataset(path, "bug", "date", None, "bug_known_at")
    result = train_and_evaluate(data, TrainingOptions(portable=False))
    comparison = compare_on_window(data, result, model, "cross-project", "shipped")
    return {"repository": path.stem, "n_test": result.n_test, "own_auc": comparison["candidate"],
            "cross_project_auc": comparison["baseline"], "own_model": result.model}


def main() -> None:
    """Evaluate on the held-out repositories; optionally stamp and ship the model."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, type=Path)
    parser.add_argument("--train", nargs="+", required=True, type=Path)
    parser.add_argument("--test", nargs="+", required=True, type=Path)
    parser.add_argument("--ship", help="version to stamp and write to models/pretrained")
    args = parser.parse_args()
    raw = json.loads(gzip.decompress(args.model.read_bytes()))
    model = RiskModel.from_json(raw)
    print("| repository | held-out rows | own model (chosen) AUC | cross-project AUC |")
    print("|---|---|---|---|")
    rows = [held_out_row(path, model) for path in args.test]
    for row in rows:
        print(f"| {row['repository']} | {row['n_test']} | {row['own_auc']:.3f} "
              f"({row['own_model']}) | {row['cross_project_auc']:.3f} |")
    if args.ship:
        raw["info"] = {"version": args.ship, "trained": day(datetime.now(UTC).timestamp()),
                       "trained_on": [source_of(p) for p in args.train],
                       "held_out_repositories": rows}
        save_model(raw, SHIPPED)
        print(f"wrote {SHIPPED}")


if __name__ == "__main__":
    main()
