"""A repository with a long, seeded history — features, bugs and their fixes by several
authors — large enough for diffrisk to learn its own models from (the one place)."""

from __future__ import annotations

import random

from tests.gitbuild import RepoBuilder

AUTHORS = (("Alice", "alice@example.com"), ("Bob", "bob@example.com"),
           ("Carol", "carol@example.com"), ("Dan", "dan@example.com"))
MODULES = 8


def module_text(index: int, functions: list[str]) -> str:
    """A module that imports its neighbour and defines its functions."""
    head = f"from pkg import mod{index - 1}\n\n\n" if index else ""
    return head + "\n\n".join(functions) + "\n"


def function_text(name: str, body: list[str]) -> str:
    """One function whose body is the given lines."""
    return f"def {name}(x):\n" + "".join(f"    {line}\n" for line in body) + "    return x\n"


class HistoryWriter:
    """The state of the generated modules, written out on every commit."""

    def __init__(self, builder: RepoBuilder, seed: int) -> None:
        self.builder = builder
        self.random = random.Random(seed)
        self.bodies: dict[int, dict[str, list[str]]] = {m: {"f0": ["x = x + 1"]}
                                                         for m in range(MODULES)}
        self.bugs: list[tuple[int, str, int]] = []

    def write_all(self) -> None:
        """Write every module and its test file."""
        for m, functions in self.bodies.items():
            texts = [function_text(n, b) for n, b in sorted(functions.items())]
            self.builder.write(f"pkg/mod{m}.py", module_text(m, texts))
            self.builder.write(f"tests/test_mod{m}.py",
                               f"from pkg import mod{m}\n\n\ndef test_f0():\n"
                               f"    assert mod{m}.f0(1) > 0\n")

    def feature(self, number: int) -> str:
        """Grow one to three modules; now and then a line that a later fix repairs."""
        touched = self.random.sample(range(MODULES), self.random.randint(1, 3))
        for m in touched:
            functions = self.bodies[m]
            name = self.random.choice(sorted(functions))
            if self.random.random() < 0.3:
                name = f"f{len(functions)}"
                functions[name] = []
            lines = [f"x = x * {self.random.randint(2, 9)} + {number}"
                     for _ in range(self.random.randint(1, 12))]
            if self.random.random() < 0.25:
                lines.append(f"x = x - {number}  # subtle")
                self.bugs.append((m, name, number))
            functions[name].extend(lines)
        return f"Add step {number} to " + ", ".join(f"mod{m}" for m in touched)

    def fix(self) -> str | None:
        """Repair one of the three newest open bugs, if any."""
        if not self.bugs:
            return None
        m, name, number = self.bugs.pop(self.random.randrange(max(0, len(self.bugs) - 3),
                                                              len(self.bugs)))
        body = self.bodies[m][name]
        body[:] = [line.replace(f"x - {number}  # subtle", f"x + {number}") for line in body]
        return f"Fix bug in mod{m}.{name} (step {number})"


def build_long_history(builder: RepoBuilder, commits: int = 220, seed: int = 7) -> str:
    """Write `commits` commits (about one in four a fix) and return the last sha."""
    writer = HistoryWriter(builder, seed)
    writer.write_all()
    builder.commit("Initial package", author=AUTHORS[0])
    for number in range(1, commits):
        message = writer.fix() if writer.random.random() < 0.3 else None
        message = message or writer.feature(number)
        writer.write_all()
        builder.commit(message, days=writer.random.uniform(0.2, 2.0),
                       author=writer.random.choice(AUTHORS))
    return builder.head()


def pull_request_on_history(builder: RepoBuilder, commits: int = 220) -> tuple[str, str]:
    """A history to learn from on main and a pull request branch `feature` adding a division
    and a report that calls it: (base, head)."""
    base = build_long_history(builder, commits=commits)
    builder.checkout("-b", "feature")
    ops = (builder.path / "pkg/mod3.py").read_text()
    builder.write("pkg/mod3.py", ops + "\n\ndef div(a, b):\n    if b == 0:\n        return 0\n"
                                       "    return a / b\n")
    builder.write("pkg/report.py", "from pkg import mod3\n\n\ndef show(a, b):\n"
                                   "    return mod3.div(a, b)\n")
    return base, builder.commit("Add div and a report", author=("Eve", "eve@example.com"))


def different_work(builder: RepoBuilder, commits: int) -> None:
    """Commits unlike the history's: new authors rewriting many large generated files."""
    for number in range(commits):
        for index in range(12):
            lines = "".join(f"value_{index}_{k} = {number * k}\n" for k in range(80 + number))
            builder.write(f"generated/part{index}.py", lines)
        builder.commit(f"Regenerate the tables ({number})", days=0.05,
                       author=(f"Bot {number % 7}", f"bot{number % 7}@example.com"))
