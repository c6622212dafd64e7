"""Settings: one pure loader, defaults ← file ← environment (DIFFRISK_*) ← flags."""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from analyzers.fixes import DEFAULT_FIX_PATTERN, DEFAULT_ISSUE_PATTERN

ENV_PREFIX = "DIFFRISK_"
# Unprefixed variables that platforms set for us; a DIFFRISK_ variable wins over them.
ENV_ALIASES = {"DATABASE_URL": "database_url", "REDIS_URL": "redis_url",
               "MLFLOW_TRACKING_URI": "mlflow_tracking_uri"}


class SettingsError(ValueError):
    """A setting is unknown or has a value of the wrong kind; the message says which."""


@dataclass(frozen=True)
class Settings:
    """Everything diffrisk can be configured with; built once and passed in."""

    data_dir: Path = Path("~/.local/share/diffrisk")
    database_url: str = ""
    redis_url: str = ""
    cache_ttl_seconds: int = 3600
    fix_pattern: str = DEFAULT_FIX_PATTERN
    issue_pattern: str = DEFAULT_ISSUE_PATTERN
    szz_max_fix_files: int = 100
    mechanical_max_files: int = 100
    mechanical_max_lines: int = 5000
    drift_threshold: float = 0.15
    mlflow_tracking_uri: str = ""
    # The GitHub App (diffrisk serve / worker); secrets never appear in repr or logs.
    app_id: str = ""
    private_key_path: str = ""
    private_key: str = field(default="", repr=False)
    webhook_secret: str = field(default="", repr=False)
    github_api_url: str = "https://api.github.com"
    allow_local_clone_urls: bool = False
    max_webhook_bytes: int = 25 * 1024 * 1024
    dashboard_url: str = ""
    write_interval_seconds: float = 1.0
    writes_per_minute: int = 80

    @property
    def store_url(self) -> str:
        """The database to use: DATABASE_URL, else a SQLite file in the data directory."""
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite:///{self.data_dir.expanduser() / 'diffrisk.db'}"


def normalise_database_url(url: str) -> str:
    """Point plain postgres URLs at the psycopg 3 driver that diffrisk installs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _convert(name: str, value: Any, origin: str) -> Any:
    kind = {f.name: f.type for f in fields(Settings)}[name]
    try:
        if kind in ("bool", bool):
            return _boolean(value)
        if kind in ("int", int):
            if isinstance(value, bool):
                raise ValueError
            converted: Any = int(value)
            if converted < 0:
                raise ValueError
            return converted
        if kind in ("float", float):
            if isinstance(value, bool):
                raise ValueError
            number = float(value)
            if not number >= 0 or number == float("inf"):
                raise ValueError
            return number
        if kind in ("Path", Path):
            return Path(str(value))
        if not isinstance(value, str):
            raise ValueError
        return value
    except ValueError:
        expected = {"int": "a whole number ≥ 0", "float": "a number ≥ 0",
                    "bool": "true or false",
                    "Path": "a path"}.get(str(kind), "a string")
        raise SettingsError(f"{name} from {origin} must be {expected}, not {value!r}") from None


def _boolean(value: Any) -> bool:
    """A yes/no setting from TOML (true/false) or the environment (1/0, true/false, yes/no)."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError


def _known(name: str, origin: str) -> str:
    valid = {f.name for f in fields(Settings)}
    if name not in valid:
        raise SettingsError(f"unknown setting {name!r} in {origin}: valid settings are "
                            f"{', '.join(sorted(valid))}")
    return name


def read_settings_file(path: Path) -> dict[str, Any]:
    """The settings of a TOML file, checked by name and kind."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"settings file {path} does not exist: create it or drop "
                            "--config") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"settings file {path} is not valid TOML ({exc}): fix it") from None
    return {_known(k, str(path)): _convert(k, v, str(path)) for k, v in data.items()}


def settings_from_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings named by DIFFRISK_* variables (and DATABASE_URL, REDIS_URL)."""
    found: dict[str, Any] = {}
    for variable, name in ENV_ALIASES.items():
        if environ.get(variable):
            found[name] = _convert(name, environ[variable], variable)
    for variable, value in environ.items():
        if variable.startswith(ENV_PREFIX) and variable != f"{ENV_PREFIX}CONFIG":
            name = _known(variable[len(ENV_PREFIX):].lower(), f"the environment ({variable})")
            found[name] = _convert(name, value, variable)
    return found


def load_settings(config_file: Path | None = None, environ: Mapping[str, str] | None = None,
                  overrides: Mapping[str, Any] | None = None) -> Settings:
    """Defaults, then the file, then the environment, then flags (None means not given)."""
    environ = environ or {}
    if config_file is None and environ.get(f"{ENV_PREFIX}CONFIG"):
        config_file = Path(environ[f"{ENV_PREFIX}CONFIG"])
    merged: dict[str, Any] = {}
    if config_file is not None:
        merged.update(read_settings_file(config_file))
    merged.update(settings_from_environment(environ))
    for name, value in (overrides or {}).items():
        if value is not None:
            merged[_known(name, "the command line")] = _convert(name, value, "the command line")
    return dataclasses.replace(Settings(), **merged)
