"""The file-change risk: SZZ labels per file identity, known at the split, and the model."""

from __future__ import annotations

import json
import random
from typing import Any

import numpy as np
import pytest

from analyzers.changes import ChangeRecord, FileTouch
from models.file_history import DAY, FileHistory, history_as_of
from models.file_risk import (
    FILE_RISK_FEATURES,
    FILE_RISK_OPTIONS,
    FileRiskData,
    FileRiskModel,
    LinkFact,
    build_file_risk_data,
    file_risk_features,
    file_risk_split,
    train_file_risk_model,
)
from models.metrics import roc_auc

T0 = 1_600_000_000


def change(sha: str, day: float, *touches: FileTouch) -> ChangeRecord:
    return ChangeRecord(sha, int(T0 + day * DAY), "dev", touches)


def edit(path: str, churn: int = 10) -> FileTouch:
    return FileTouch(path, None, "M", churn)


def test_links_label_the_file_change_across_a_rename() -> None:
    history = [change("a", 0, FileTouch("lib/a.py", None, "A", 30), edit("lib/c.py")),
               change("r", 5, FileTouch("lib/b.py", "lib/a.py", "R", 0)),
               change("fix", 9, edit("lib/b.py", 2))]
    # the link names the path at the fix's parent: lib/b.py, introduced as lib/a.py
    links = [LinkFact("fix", "a", "lib/b.py", int(T0 + 9 * DAY))]
    features = {("a", "lib/a.py"): {"la": 30.0, "ld": 0.0, "lt": 0.0}}
    data = build_file_risk_data(history, {"fix"}, features, links)
    labelled = dict(zip(data.paths, data.labels, strict=True))
    assert labelled == {"lib/a.py": 1, "lib/c.py": 0, "lib/b.py": 0}
    assert data.known_at[data.paths.index("lib/a.py")] == T0 + 9 * DAY
    assert np.isnan(data.known_at[data.paths.index("lib/c.py")])
    assert data.features[0, FILE_RISK_FEATURES.index("la")] == 30
    assert np.isnan(data.features[1, FILE_RISK_FEATURES.index("la")])  # no mined features


def test_training_labels_are_those_known_at_the_split() -> None:
    n = 100
    times = np.array(T0 + np.arange(n) * DAY, dtype=np.float64)
    labels = np.zeros(n, dtype=np.int64)
    known = np.full(n, np.nan)
    for row, delay in ((10, 5), (20, 5), (70, 30), (78, 1)):
        labels[row], known[row] = 1, times[row] + delay * DAY
    data = FileRiskData(np.zeros((n, len(FILE_RISK_FEATURES))), labels, times, known)
    split = file_risk_split(data, FILE_RISK_OPTIONS)  # test: rows 80.., split at day 80
    assert list(split.test) == list(range(80, n))
    assert split.train_labels[70] == 0  # its fix lands on day 100, after the split
    assert split.train_labels[[10, 20, 78]].tolist() == [1, 1, 1]
    assert split.window_days == pytest.approx(5)  # median of the known delays 5, 5, 1
    kept = set(split.fit) | set(split.check)
    assert 75 not in kept and 74 in kept and 78 in kept  # unknowns of days 75–79 held back
    assert split.held_back == 4 and split.not_yet_known == 1
    assert max(split.fit) < min(split.check)


def synthetic(days: int = 700, seed: int = 1) -> tuple[list[ChangeRecord], set[str],
                                                      dict[tuple[str, str], dict[str, Any]],
                                                      list[LinkFact]]:
    """Big changes to a few fragile files induce bugs that a later fix blames."""
    rng = random.Random(seed)
    files = [f"src/f{i}.py" for i in range(30)]
    history, features, links, fixes = [], {}, [], set()
    for day in range(days):
        for k in range(4):
            path = rng.choice(files)
            added = rng.choice([2, 5, 10, 40, 120, 300])
            sha = f"d{day}k{k}"
            history.append(change(sha, day + k / 10, edit(path, added)))
            features[(sha, path)] = {"la": float(added), "ld": 0.0, "lt": 200.0}
            fragile = files.index(path) < 6
            if rng.random() < min(0.9, added / 400 + (0.25 if fragile else 0.0)):
                fix_day = day + rng.uniform(1, 40)
                fix = f"fix-{sha}"
                fixes.add(fix)
                links.append(LinkFact(fix, sha, path, int(T0 + fix_day * DAY)))
                history.append(change(fix, fix_day, edit(path, 3)))
                features[(fix, path)] = {"la": 3.0, "ld": 3.0, "lt": 200.0}
    history.sort(key=lambda c: c.time)
    return history, fixes, features, links


def test_model_learns_risky_file_changes_and_round_trips() -> None:
    history, fixes, features, links = synthetic()
    model, metrics = train_file_risk_model(history, fixes, features, links)
    assert metrics["auc"] > 0.75 and metrics["recall_at_top20"] > 0.35
    assert metrics["n_train"] > metrics["n_test"] > 0
    assert metrics["latency_window_days"] > 1
    loaded = FileRiskModel.from_json(json.loads(json.dumps(model.to_json())))
    data = build_file_risk_data(*synthetic(days=150, seed=4))
    scores = loaded.score(data.features)
    assert np.allclose(scores, model.score(data.features))
    assert ((scores >= 0) & (scores <= 1)).all()
    assert roc_auc(data.labels, scores) > 0.7
    assert model.contributions(data.features[:3]).shape == (3, len(FILE_RISK_FEATURES))
    assert 0 < loaded.threshold < 1

    files: FileHistory = history_as_of(history, fixes, now=history[-1].time + 1)
    new = change("pr", 800, edit("src/f0.py", 300), edit("src/f29.py", 2))
    paths, rows = file_risk_features(files, new, [{"la": 300, "ld": 0, "lt": 200},
                                                  {"la": 2, "ld": 0, "lt": 200}])
    assert paths == ["src/f0.py", "src/f29.py"]
    assert rows.shape == (2, len(FILE_RISK_FEATURES))
    risk = model.score(rows)
    assert risk[0] > risk[1]
