"""How much drift (the magnitude) sampling alone shows, against the drift a real history shows, for
the number of new changes compared: the basis of MIN_RECENT_ROWS in models/drift.py.

    python -m benchmarks.bench_drift --data MINED.csv [--sizes 25,50,100,200,400] [--cuts 8]
                                     [--draws 50] [--exclude COLUMNS]

MINED.csv is a mined repository's rows (`diffrisk mine --output`). At each of --cuts points in
the history (from 30% to 90% of the rows by time) the rows before the point are "the data a model
learned on". Real: the next n changes against them. Null (no drift by construction): n rows drawn
at random from before the point against the rest, --draws times. Per n: the median and 95th
percentile of the null's drift magnitude (median PSI of the varying features) and the share of
null draws over the threshold, against the median real magnitude, the share of real points over
the threshold, and the median real mean PSI (what a mean would have said).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from app.drift_data import NOT_FEATURES
from models.dataset import default_features, feature_column, read_columns, time_column
from models.drift import DEFAULT_THRESHOLD, drift_report

Values = dict[str, np.ndarray]


def ordered_features(path: Path, time_name: str, excluded: set[str]) -> Values:
    """The CSV's change features, rows ordered by time."""
    columns = read_columns(path)
    order = np.argsort(time_column(time_name, columns[time_name]), kind="stable")
    names = default_features(columns, NOT_FEATURES | excluded | {time_name})
    return {name: feature_column(name, columns[name])[order] for name in names}


def magnitude(values: Values, reference: np.ndarray, recent: np.ndarray) -> tuple[float, float]:
    """The drift magnitude and the mean PSI of the recent rows against the reference rows."""
    report = drift_report({n: v[reference] for n, v in values.items()},
                          {n: v[recent] for n, v in values.items()})
    return report.magnitude, report.mean_psi


def measure(values: Values, size: int, cuts: list[int], draws: int,
            rng: np.random.Generator) -> tuple[list[tuple[float, float]], list[float]]:
    """Real drift (magnitude, mean PSI) of the next `size` rows at each cut, and the null
    magnitudes of random draws."""
    real, null = [], []
    rows = len(next(iter(values.values())))
    for cut in cuts:
        before = np.arange(cut)
        if cut + size <= rows:
            real.append(magnitude(values, before, np.arange(cut, cut + size)))
        for _ in range(draws):
            recent = rng.choice(cut, size=size, replace=False)
            null.append(magnitude(values, np.setdiff1d(before, recent), recent)[0])
    return real, null


def main() -> None:
    """Print one table row per number of new changes."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--time-column", default="date")
    parser.add_argument("--exclude", default="", help="Comma-separated columns to leave out.")
    parser.add_argument("--sizes", default="25,50,100,200,400")
    parser.add_argument("--cuts", type=int, default=8)
    parser.add_argument("--draws", type=int, default=50)
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    args = parser.parse_args()
    values = ordered_features(args.data, args.time_column,
                              {name for name in args.exclude.split(",") if name})
    rows = len(next(iter(values.values())))
    cuts = [int(rows * share) for share in np.linspace(0.3, 0.9, args.cuts)]
    rng = np.random.default_rng(0)
    print(f"{args.data.name}: {rows} changes, {len(values)} features, threshold "
          f"{args.threshold}")
    print("| new changes | null median | null p95 | null over | real median | real over "
          "| real mean PSI |")
    print("|--:|--:|--:|--:|--:|--:|--:|")
    for size in (int(s) for s in args.sizes.split(",")):
        real, null = measure(values, size, cuts, args.draws, rng)
        medians = np.array([m for m, _ in real])
        print(f"| {size} | {np.median(null):.3f} | {np.percentile(null, 95):.3f} | "
              f"{np.mean(np.array(null) > args.threshold):.0%} | {np.median(medians):.3f} | "
              f"{np.mean(medians > args.threshold):.0%} of {len(real)} | "
              f"{np.median([m for _, m in real]):.3f} |")


if __name__ == "__main__":
    main()
