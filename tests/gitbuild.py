"""Build git repositories with known histories for the tests (the one place that does)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

DAY = 86_400
START = 1_600_000_000  # 2020-09-13, a fixed clock so that ages and dates are exact


class RepoBuilder:
    """A git repository the test writes commit by commit, with a fixed clock and identities."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.path.mkdir(parents=True, exist_ok=True)
        self.clock = START
        self.git("init", "-q", "-b", "main")
        self.git("config", "commit.gpgsign", "false")

    def git(self, *args: str, when: int | None = None, tz: str = "+0000",
            author: tuple[str, str] = ("Alice", "alice@example.com"),
            input_bytes: bytes | None = None, check_conflicts: bool = True) -> str:
        """Run git in the repository with a pinned identity and date; return stdout
        (check_conflicts=False lets a merge stop on conflicts without raising)."""
        stamp = f"@{when if when is not None else self.clock} {tz}"
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1],
            "GIT_COMMITTER_NAME": author[0], "GIT_COMMITTER_EMAIL": author[1],
            "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp,
            "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(self.path.parent),
        }
        proc = subprocess.run(["git", "-C", str(self.path), *args], env=env, input=input_bytes,
                              capture_output=True, check=False)
        if proc.returncode != 0 and check_conflicts:
            raise RuntimeError(f"git {' '.join(args)} failed: {proc.stderr.decode()}")
        return proc.stdout.decode("utf-8", "replace")

    def write(self, name: str | bytes, content: str | bytes) -> None:
        """Write a file (creating folders); a bytes name may be any byte string."""
        raw_name = name if isinstance(name, bytes) else name.encode()
        target = Path(os.fsdecode(os.path.join(os.fsencode(self.path), raw_name)))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content if isinstance(content, bytes) else content.encode())

    def delete(self, name: str) -> None:
        """Remove a file from the work tree."""
        (self.path / name).unlink()

    def move(self, old: str, new: str) -> None:
        """git mv, creating the destination folder."""
        (self.path / new).parent.mkdir(parents=True, exist_ok=True)
        self.git("mv", old, new)

    def commit(self, message: str, *, days: float = 1.0,
               author: tuple[str, str] = ("Alice", "alice@example.com"),
               tz: str = "+0000", allow_empty: bool = False) -> str:
        """Advance the clock by days, stage everything and commit; return the sha."""
        self.clock += int(days * DAY)
        self.git("add", "-A")
        args = ["commit", "-q", "-m", message, "--no-verify"]
        if allow_empty:
            args.append("--allow-empty")
        self.git(*args, author=author, tz=tz)
        return self.head()

    def head(self) -> str:
        """The sha HEAD points to."""
        return self.git("rev-parse", "HEAD").strip()

    def checkout(self, *args: str) -> None:
        """git checkout with the given arguments."""
        self.git("checkout", "-q", *args)

    def merge(self, branch: str, message: str, *, days: float = 1.0,
              author: tuple[str, str] = ("Alice", "alice@example.com")) -> str:
        """Merge a branch with a merge commit (never fast-forward); return the sha."""
        self.clock += int(days * DAY)
        self.git("merge", "-q", "--no-ff", "-m", message, branch, author=author)
        return self.head()


def build_buggy_history(builder: RepoBuilder) -> dict[str, str]:
    """A small history with one known bug: `introduce` writes a wrong line that `fix`
    changes; returns the shas by role."""
    shas = {}
    builder.write("calc/ops.py", "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n"
                                 "    return a + b\n")
    builder.write("README.md", "# calc\n")
    shas["root"] = builder.commit("Add calculator", author=("Alice", "alice@example.com"))
    builder.write("calc/ops.py", "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n"
                                 "    return a + b\n\n\ndef mul(a, b):\n    return a * b + 1\n")
    shas["introduce"] = builder.commit("Add mul", author=("Bob", "bob@example.com"))
    builder.write("README.md", "# calc\n\nAdds, subtracts and multiplies.\n")
    shas["docs"] = builder.commit("Describe calc", author=("Alice", "alice@example.com"))
    builder.write("calc/ops.py", "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n"
                                 "    return a - b\n\n\ndef mul(a, b):\n    return a * b\n")
    shas["fix"] = builder.commit("Fix wrong results of sub and mul (#7)",
                                 author=("Carol", "carol@example.com"))
    return shas
