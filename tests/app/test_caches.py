"""What a warm run reads instead of computing gives what computing gives: the shipped risk
model's cached form, measured complexity on disk, the store opened without Alembic."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from analyzers.complexity import change_complexity
from analyzers.git import GitRepo
from app.complexity_cache import ComplexityFiles
from app.model_cache import cached_shipped_risk_model, with_cached_forests
from app.storage.database import head_revisions, open_store, schema_is_current
from models.risk_model import ForestPart
from models.shipped import shipped_risk_model
from tests.analyzers.test_complexity import AFTER, BEFORE, source
from tests.gitbuild import RepoBuilder

ROOT = Path(__file__).parents[2]


def test_the_cached_shipped_model_scores_and_explains_exactly_alike(tmp_path: Path) -> None:
    model = shipped_risk_model()
    assert model is not None
    first = cached_shipped_risk_model(tmp_path)  # converts and writes the cache
    cached = cached_shipped_risk_model(tmp_path)  # reads it
    assert first is not None and cached is not None
    assert sorted(p.suffix for p in (tmp_path / "models").iterdir()) == [".json", ".npz"]
    forests = [p for p in cached.parts if isinstance(p, ForestPart)]
    assert forests and all(p.arrays is not None and not p.onnx for p in forests)
    rows = np.random.default_rng(2).normal(size=(40, len(model.inputs))) * 20
    rows[::3, 4] = np.nan
    for other in (first, cached):
        assert np.array_equal(other.score(rows), model.score(rows))
        assert np.allclose(other.contributions(rows), model.contributions(rows), atol=1e-5)
    assert cached.explain(rows[0]) == model.explain(rows[0])
    with pytest.raises(ValueError, match="without its ONNX graph"):
        cached.to_json()


def test_a_repositorys_own_forest_walks_as_cached_arrays(tmp_path: Path) -> None:
    model = shipped_risk_model()  # stands in for a registered stack with a forest
    assert model is not None
    walked = with_cached_forests(model, tmp_path)
    again = with_cached_forests(model, tmp_path)  # from the .npz
    assert list((tmp_path / "models").glob("forest-*.npz"))
    rows = np.random.default_rng(5).normal(size=(30, len(model.inputs))) * 10
    for other in (walked, again):
        assert any(isinstance(p, ForestPart) and p.arrays is not None for p in other.parts)
        assert np.array_equal(other.score(rows), model.score(rows))


def test_a_damaged_cache_is_rebuilt(tmp_path: Path) -> None:
    assert cached_shipped_risk_model(tmp_path) is not None
    for path in (tmp_path / "models").iterdir():
        path.write_bytes(b"not what was written")
    model = cached_shipped_risk_model(tmp_path)
    assert model is not None and cached_shipped_risk_model(tmp_path) is not None
    assert cached_shipped_risk_model(None) is not None


def test_complexity_files_give_back_what_was_measured(builder: RepoBuilder,
                                                      tmp_path: Path) -> None:
    builder.write("a.py", source(BEFORE))
    base = builder.commit("Start")
    builder.write("a.py", source(AFTER))
    head = builder.commit("Change")
    repo, paths = GitRepo(builder.path), [("a.py", "a.py"), (None, "README.md")]
    for measures in ("all", "functions"):
        files = ComplexityFiles(tmp_path / "complexity")
        measured = change_complexity(repo, base, head, paths, cache=files, measures=measures)
        again = change_complexity(repo, base, head, paths, cache=ComplexityFiles(
            tmp_path / "complexity"), measures=measures)
        assert again == measured == change_complexity(repo, base, head, paths,
                                                       measures=measures)
    assert len(ComplexityFiles(tmp_path / "complexity")) == 4


def test_the_migration_heads_are_alembics(tmp_path: Path) -> None:
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    from app.storage.database import alembic_config, create_store_engine  # noqa: PLC0415

    config = alembic_config(create_store_engine(f"sqlite:///{tmp_path / 'x.db'}"))
    assert head_revisions() == frozenset(ScriptDirectory.from_config(config).get_heads())


def test_a_current_store_opens_without_alembic(database_url: str) -> None:
    engine = open_store(database_url)  # migrates
    assert schema_is_current(engine)
    probe = ("import sys; from app.storage.database import open_store; "
             f"open_store({database_url!r}); print('alembic' in sys.modules)")
    opened = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True, cwd=ROOT)
    assert opened.stdout.strip() == "False"
    from alembic import command  # noqa: PLC0415

    from app.storage.database import alembic_config  # noqa: PLC0415

    command.downgrade(alembic_config(engine), "0001")
    assert not schema_is_current(engine)
    open_store(database_url)  # an old store is migrated again
    assert schema_is_current(engine)
