"""The settings loader: defaults ← file ← environment ← flags, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.settings import Settings, SettingsError, load_settings


def test_defaults_when_nothing_is_given() -> None:
    settings = load_settings(environ={})
    assert settings == Settings()
    assert settings.store_url.startswith("sqlite:///") and settings.store_url.endswith(
        "diffrisk/diffrisk.db")


def test_precedence_file_then_environment_then_flags(tmp_path: Path) -> None:
    config = tmp_path / "diffrisk.toml"
    config.write_text('cache_ttl_seconds = 10\nfix_pattern = "oops"\nredis_url = "redis://file"\n')
    settings = load_settings(config, {"DIFFRISK_CACHE_TTL_SECONDS": "20",
                                      "REDIS_URL": "redis://env"},
                             {"redis_url": "redis://flag", "data_dir": None})
    assert (settings.cache_ttl_seconds, settings.fix_pattern, settings.redis_url) == (
        20, "oops", "redis://flag")


def test_config_file_named_by_the_environment(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("szz_max_fix_files = 7\n")
    assert load_settings(environ={"DIFFRISK_CONFIG": str(config)}).szz_max_fix_files == 7


def test_prefixed_variable_wins_over_platform_alias() -> None:
    settings = load_settings(environ={"DATABASE_URL": "postgres://a/b",
                                      "DIFFRISK_DATABASE_URL": "postgresql://c/d"})
    assert settings.store_url == "postgresql+psycopg://c/d"


def test_data_dir_places_the_sqlite_store(tmp_path: Path) -> None:
    settings = load_settings(environ={"DIFFRISK_DATA_DIR": str(tmp_path)})
    assert settings.store_url == f"sqlite:///{tmp_path / 'diffrisk.db'}"


@pytest.mark.parametrize(("environ", "message"), [
    ({"DIFFRISK_COLOUR": "1"}, "unknown setting 'colour'.*valid settings are"),
    ({"DIFFRISK_CACHE_TTL_SECONDS": "soon"}, "must be a whole number"),
    ({"DIFFRISK_CACHE_TTL_SECONDS": "-1"}, "must be a whole number"),
])
def test_bad_environment_is_named(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(environ=environ)


def test_bad_files_are_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("cache_ttl_seconds = \n")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings(broken, {})
    wrong_kind = tmp_path / "kind.toml"
    wrong_kind.write_text("cache_ttl_seconds = true\n")
    with pytest.raises(SettingsError, match="must be a whole number"):
        load_settings(wrong_kind, {})
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(tmp_path / "missing.toml", {})


def test_loading_reads_no_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DIFFRISK_CACHE_TTL_SECONDS", "5")
    assert load_settings(environ={}).cache_ttl_seconds == 3600


def test_float_settings() -> None:
    assert load_settings(environ={"DIFFRISK_DRIFT_THRESHOLD": "0.3"}).drift_threshold == 0.3
    for bad in ("x", "-1", "inf", "nan"):
        with pytest.raises(SettingsError, match="must be a number"):
            load_settings(environ={"DIFFRISK_DRIFT_THRESHOLD": bad})
