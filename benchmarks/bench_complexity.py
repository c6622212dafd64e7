"""Time complexity before and after a real ~50-file change, and what big files cost per language.

Run: .venv/bin/python -m benchmarks.bench_complexity --repo PATH [--base REV --head REV] [--runs 5]
     [--synthetic]

Without --base/--head the change is the newest non-merge commit of HEAD that changes 45-60 files
and at least 500 lines (base: its first parent). change_complexity runs once to warm the OS and
git caches, then --runs times; the median is reported with the time of reading the blobs alone.
Last, per measured language, measure_source on the largest files at HEAD that are within the
default limits (up to 5 per language), median of 3 each. Cached runs: a cache filled with the
base side only (as an earlier analysis of the base leaves it), and with both sides. With
--synthetic, one generated ~15,000-line file per language (the same small function repeated)
shows what each parser costs per line.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from functools import partial

from analyzers.complexity import (
    DEFAULT_LIMITS,
    MEASURED_LANGUAGES,
    ComplexityCache,
    change_complexity,
    describe_changes,
    measure_source,
    read_blobs,
)
from analyzers.filekinds import language_of
from analyzers.git import GitRepo, decode_path

TARGET_FILES = range(45, 61)
MIN_CHANGED_LINES = 500
LARGEST_PER_LANGUAGE = 5
SYNTHETIC_FUNCTIONS = 1500  # about 15,000 lines per language, inside the 20,000-line bound
C_BODY = ("  if (a > b && b > 0) {\n    return a;\n  }\n  for (int k = 0; k < a; k++) {\n"
          "    b += k;\n  }\n  return b;\n}\n")
# One function per language, {i} numbered: an if with && and a loop, cyclomatic complexity 4.
SYNTHETIC = {
    "a.c": "int f{i}(int a, int b) {\n" + C_BODY,
    "a.cpp": "int K::f{i}(int a, int b) {\n" + C_BODY,
    "A.java": "class C{i} {\n int f(int a, int b) {\n" + C_BODY + "}\n",
    "A.cs": "class C{i} {\n int F(int a, int b) {\n" + C_BODY + "}\n",
    "a.js": "function f{i}(a, b) {\n" + C_BODY.replace("int k", "let k"),
    "a.ts": "function f{i}(a: number, b: number): number {\n" + C_BODY.replace("int k", "let k"),
    "a.php": "function f{i}($a, $b) {\n  if ($a > $b && $b > 0) {\n    return $a;\n  }\n"
             "  for ($k = 0; $k < $a; $k++) {\n    $b += $k;\n  }\n  return $b;\n}\n",
    "a.go": "func f{i}(a int, b int) int {\n\tif a > b && b > 0 {\n\t\treturn a\n\t}\n"
            "\tfor k := 0; k < a; k++ {\n\t\tb += k\n\t}\n\treturn b\n}\n",
    "a.rs": "fn f{i}(a: i32, mut b: i32) -> i32 {\n    if a > b && b > 0 {\n        return a;\n"
            "    }\n    for k in 0..a {\n        b += k;\n    }\n    b\n}\n",
    "a.kt": "fun f{i}(a: Int, b: Int): Int {\n    var c = b\n    if (a > c && c > 0) {\n"
            "        return a\n    }\n    for (k in 0 until a) {\n        c += k\n    }\n"
            "    return c\n}\n",
    "a.swift": "func f{i}(a: Int, b: Int) -> Int {\n    var c = b\n    if a > c && c > 0 {\n"
               "        return a\n    }\n    for k in 0..<a {\n        c += k\n    }\n"
               "    return c\n}\n",
    "a.rb": "def f{i}(a, b)\n  if a > b && b > 0\n    return a\n  end\n  while a > 0\n"
            "    a -= 1\n  end\n  b\nend\n",
    "a.py": "def f{i}(a, b):\n    if a > b and b > 0:\n        return a\n"
            "    for k in range(a):\n        b += k\n    return b\n\n\n",
}
Paths = list[tuple[str | None, str | None]]


def find_change(repo: GitRepo) -> tuple[str, str]:
    """(base, head) of the newest non-merge commit changing 45-60 files and 500+ lines."""
    log = repo.output(["log", "--no-merges", "--shortstat", "--format=commit %H", "HEAD"])
    sha = ""
    for line in log.decode().splitlines():
        if line.startswith("commit "):
            sha = line.split()[1]
        elif "changed" in line:
            numbers = [int(word) for word in line.replace(",", " ").split() if word.isdigit()]
            if numbers[0] in TARGET_FILES and sum(numbers[1:]) >= MIN_CHANGED_LINES:
                return f"{sha}^", sha
    raise SystemExit("no commit changes 45-60 files and 500+ lines: pass --base and --head")


def changed_paths(repo: GitRepo, base: str, head: str) -> Paths:
    """(path at base, path at head) of each changed file, renames followed."""
    fields = repo.output(["diff", "--name-status", "-z", "-M", base, head]).split(b"\0")
    paths: Paths = []
    index = 0
    while index < len(fields) - 1:
        status = fields[index].decode()
        if status[0] in "RC":
            old, new = (decode_path(fields[index + 1]), decode_path(fields[index + 2]))
            paths.append((old if status[0] == "R" else None, new))
            index += 3
            continue
        path = decode_path(fields[index + 1])
        paths.append((None if status == "A" else path, None if status == "D" else path))
        index += 2
    return paths


def seconds(action: Callable[[], object], runs: int) -> list[float]:
    """Wall times of runs calls."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return times


def bench_change(repo: GitRepo, base: str, head: str, runs: int) -> None:
    """Time change_complexity over one change and print what it found."""
    paths = changed_paths(repo, base, head)
    deltas = change_complexity(repo, base, head, paths)  # warm-up
    versions = [side for delta in deltas for side in (delta.before, delta.after) if side]
    measured = [side for side in versions if side.skipped is None]
    print(f"change {base}..{head}: {len(paths)} files, {len(versions)} versions, "
          f"{len(measured)} measured ({sum(side.loc for side in measured):,} lines), "
          f"{len(versions) - len(measured)} skipped")
    times = seconds(lambda: change_complexity(repo, base, head, paths), runs)
    shas = (repo.resolve(base), repo.resolve(head))
    names = [f"{sha}:{path}" for pair in paths for sha, path in zip(shas, pair, strict=True)
             if path is not None and language_of(path) in MEASURED_LANGUAGES]
    reading = seconds(lambda: read_blobs(repo, names, DEFAULT_LIMITS.max_bytes), runs)
    print(f"change_complexity: median {statistics.median(times):.3f} s "
          f"(min {min(times):.3f}, max {max(times):.3f}, {runs} runs); reading the "
          f"{len(names)} blobs alone: median {statistics.median(reading):.3f} s")
    base_side: ComplexityCache = {}
    change_complexity(repo, base, head, [(old, None) for old, _ in paths], cache=base_side)
    warm_base = seconds(lambda: change_complexity(repo, base, head, paths,
                                                  cache=dict(base_side)), runs)
    print(f"  with the base side cached (measured by an earlier analysis): median "
          f"{statistics.median(warm_base):.3f} s")
    everything: ComplexityCache = {}
    change_complexity(repo, base, head, paths, cache=everything)
    warm_all = seconds(lambda: change_complexity(repo, base, head, paths, cache=everything), runs)
    print(f"  with both sides cached (the same head analysed again): median "
          f"{statistics.median(warm_all):.3f} s")
    for sentence in describe_changes(deltas):
        print(f"  {sentence}")


def largest_files(repo: GitRepo) -> dict[str, list[tuple[int, str]]]:
    """The largest files at HEAD within the byte limit, by measured language."""
    listing = repo.output(["ls-tree", "-r", "-l", "-z", "HEAD"]).split(b"\0")
    by_language: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for entry in filter(None, listing):
        meta, raw_path = entry.split(b"\t", 1)
        size, path = meta.split()[3], decode_path(raw_path)
        language = language_of(path)
        if (language in MEASURED_LANGUAGES and size.isdigit()
                and int(size) <= DEFAULT_LIMITS.max_bytes):
            by_language[language].append((int(size), path))
    return {language: sorted(files, reverse=True)[:LARGEST_PER_LANGUAGE]
            for language, files in sorted(by_language.items())}


def bench_languages(repo: GitRepo) -> None:
    """measure_source on the largest files of each language."""
    head = repo.resolve("HEAD")
    for language, files in largest_files(repo).items():
        names = [f"{head}:{path}" for _, path in files]
        blobs = read_blobs(repo, names, DEFAULT_LIMITS.max_bytes)
        rows = []
        for name, (_, path) in zip(names, files, strict=True):
            blob = blobs[name]
            content = blob.content if blob is not None else b""
            result = measure_source(path, content)
            median = statistics.median(seconds(partial(measure_source, path, content), 3))
            lines = content.count(b"\n")
            rows.append(f"{path} {lines:,} lines {median * 1000:.0f} ms"
                        + (f" (skipped: {result.skipped})" if result.skipped else ""))
        print(f"{language}: " + "; ".join(rows))


def bench_synthetic() -> None:
    """measure_source on one generated file per language, the same function repeated."""
    for path, template in SYNTHETIC.items():
        text = "".join(template.replace("{i}", str(i)) for i in range(SYNTHETIC_FUNCTIONS))
        content = (b"<?php\n" if path.endswith(".php") else b"") + text.encode()
        result = measure_source(path, content)
        median = statistics.median(seconds(partial(measure_source, path, content), 3))
        print(f"{result.language}: {result.loc:,} lines, {len(result.functions)} functions "
              f"(average complexity {result.cyclomatic_avg:.1f}) in {median * 1000:.0f} ms, "
              f"{median * 1e6 / max(result.loc, 1):.0f} ms per 1,000 lines"
              + (f" (skipped: {result.skipped})" if result.skipped else ""))


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments and run both benchmarks."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", required=True)
    parser.add_argument("--base")
    parser.add_argument("--head")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--synthetic", action="store_true",
                        help="also time one generated ~15,000-line file per language")
    args = parser.parse_args(argv)
    repo = GitRepo(args.repo)
    base, head = (args.base, args.head) if args.base and args.head else find_change(repo)
    bench_change(repo, base, head, args.runs)
    bench_languages(repo)
    if args.synthetic:
        bench_synthetic()


if __name__ == "__main__":
    main()
