"""Measured complexity of file versions kept in the data directory, one small JSON file per
(blob, path, limits, measures): a blob's content never changes, so the next analysis of a
change with the same files (a re-run, the next push of the pull request, the base side of
another) reads it instead of parsing the file again. Entries are named by the measuring code's
version, so a new radon, lizard or diffrisk measurement never reads an old one."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, MutableMapping
from pathlib import Path

from analyzers.complexity import (
    MEASURE_VERSION,
    ComplexityLimits,
    FileComplexity,
    FunctionComplexity,
    Measures,
)

Key = tuple[str, str, ComplexityLimits, Measures]


def plain(value: FileComplexity) -> dict[str, object]:
    """dataclasses.asdict of a measured file, without its deep copies (its fields are plain
    values and the functions, whose fields are plain values)."""
    fields = dict(vars(value))
    fields["functions"] = [dict(vars(function)) for function in value.functions]
    return fields


class ComplexityFiles(MutableMapping[Key, FileComplexity]):
    """A ComplexityCache (analyzers.complexity) on disk: directory/<blob sha[:2]>/<name>."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def file_for(self, key: Key) -> Path:
        """Where one measured version is kept."""
        blob, path, limits, measures = key
        detail = json.dumps([path, dataclasses.astuple(limits), measures, MEASURE_VERSION])
        digest = hashlib.sha256(detail.encode("utf-8", "surrogateescape")).hexdigest()[:24]
        return self.directory / blob[:2] / f"{blob}-{digest}.json"

    def __getitem__(self, key: Key) -> FileComplexity:
        try:
            data = json.loads(self.file_for(key).read_text(encoding="utf-8"))
            functions = tuple(FunctionComplexity(**f) for f in data.pop("functions"))
            return FileComplexity(functions=functions, **data)
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as error:
            raise KeyError(key) from error

    def __setitem__(self, key: Key, value: FileComplexity) -> None:
        target = self.file_for(key)
        text = json.dumps(plain(value))  # one write: json.dump writes piece by piece
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(temporary, target)
        except OSError:
            return  # a cache that cannot be written only costs time

    def __delitem__(self, key: Key) -> None:
        try:
            self.file_for(key).unlink()
        except FileNotFoundError as error:
            raise KeyError(key) from error

    def __iter__(self) -> Iterator[Key]:
        raise TypeError("the complexity files are read by key only")

    def __len__(self) -> int:
        return sum(1 for _ in self.directory.glob("*/*.json"))
