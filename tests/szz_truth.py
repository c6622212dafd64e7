"""A generated history where the bug-inducing commit of every fix is known (SZZ ground truth).

The generator keeps a model of every line: the commit that gave it its meaning (`origin`) and
the bug it carries, if any. It writes the history into a RepoBuilder's repository with one
`git fast-import`, with the noise real histories have: whitespace and comment edits, reindented
blocks, renamed variables, moved functions, buggy lines touched without being fixed, topic
branches with merges, and one huge mechanical reformat. Fixes change, delete, guard, reorder or
work around the buggy lines, and often touch comments, blank lines, indentation or unrelated
code on the way. A fix's truth is the commit that wrote its bug.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

from analyzers.git import GitRepo
from analyzers.gitlog import iter_log
from analyzers.szz import (
    FixCommit,
    SzzLink,
    SzzOptions,
    find_bug_inducing,
    select_ignored_revisions,
)
from tests.gitbuild import DAY, RepoBuilder

# More modules than select_ignored_revisions' default max_files, so that the formatter
# commit that touches them all is "huge" by the same rule a real history is judged by.
MODULES = 110
MODULES_PER_SETUP_COMMIT = 22
IDENTITY = "Alice <alice@example.com>"
BUG_CHANCE = 0.35
REPORT_KNOWN_CHANCE = 0.75
WORDS = ("user", "order", "item", "price", "total", "count", "name", "path", "size", "node",
         "page", "token", "limit", "offset", "value", "entry", "record", "batch", "score")
VERBS = ("load", "save", "parse", "build", "check", "merge", "apply", "render", "update")
CODE_TEMPLATES = (
    "{v} = {f}({q}{w}{q}, {v2})",
    "{v} = {v2} + {n}",
    "{v} = {v2}.get({q}{w}{q}, {n})",
    "{v}.append({v2})",
    "{v} = [{v2}, {n}]",
    "return {v}",
)
# A line many functions share; blame cannot tell its copies apart.
GENERIC_LINE = "result = None"
GENERIC_CHANCE = 0.05
VARIABLE_RE = re.compile(r"\b[a-z]+_\d+\b")
# Operation weights of an ordinary step, on the main line or a topic branch.
STEP_WEIGHTS = {"function": 17, "edit": 25, "comment": 8, "whitespace": 6, "reindent": 5,
                "rename": 4, "move": 3, "touch": 4, "fix": 22}
TOPIC_CHANCE = 0.05
FIX_KINDS = {"change": 55, "delete": 10, "guard": 15, "rewrite": 10, "reorder": 5,
             "elsewhere": 5}
FIX_NOISE = {"comment": 0.3, "blank": 0.2, "reindent": 0.2, "whitespace": 0.1,
             "tangle": 0.1}


@dataclass(eq=False)
class Line:
    """One line of a generated module and what the truth knows about it."""

    code: str
    indent: int = 4
    comment: str = ""
    origin: int = -1
    bug: int | None = None
    tight: bool = False

    def render(self, quote: str) -> str:
        """The text of the line with the module's quote style and whitespace style."""
        code = self.code.replace("{q}", quote)
        if self.tight:
            code = code.replace(" = ", "=").replace(", ", ",")
        parts = [part for part in (code, f"# {self.comment}" if self.comment else "") if part]
        return " " * self.indent + "  ".join(parts) if parts else ""

    @property
    def is_body_code(self) -> bool:
        """Whether the line is code inside a function (where bugs live)."""
        return bool(self.code) and self.indent > 0


@dataclass
class _Tree:
    modules: dict[str, list[Line]]
    quote: str = "'"
    written: dict[str, str] = field(default_factory=dict)

    def render(self, name: str) -> str:
        """The text of a module as the model has it now."""
        return "".join(line.render(self.quote) + "\n" for line in self.modules[name])

    def changed(self, names: Iterable[str]) -> list[str]:
        """The modules whose text differs from what was last written."""
        return [name for name in names if self.render(name) != self.written.get(name)]


@dataclass(frozen=True)
class _Bug:
    inducer: int


@dataclass(frozen=True)
class TruthHistory:
    """A generated repository, its fixes, the true inducing commits, and what blame ignores."""

    repo: GitRepo
    fixes: tuple[FixCommit, ...]
    truth: dict[str, frozenset[str]]
    ignored: frozenset[str]
    commit_count: int


@dataclass(frozen=True)
class Accuracy:
    """Precision and recall of fix → inducing links against the truth."""

    precision: float
    recall: float
    predicted: int
    true_links: int
    hits: int


def score(links: Iterable[SzzLink], truth: dict[str, frozenset[str]]) -> Accuracy:
    """Precision and recall of the (fix, inducing commit) pairs of links."""
    predicted = {(link.fix_sha, link.inducing_sha) for link in links}
    actual = {(fix, sha) for fix, shas in truth.items() for sha in shas}
    hits = len(predicted & actual)
    return Accuracy(precision=hits / len(predicted) if predicted else 0.0,
                    recall=hits / len(actual) if actual else 0.0,
                    predicted=len(predicted), true_links=len(actual), hits=hits)


def measure_pooled(histories: Sequence[TruthHistory],
                   options_for: Callable[[TruthHistory], SzzOptions]) -> Accuracy:
    """Accuracy over several histories together, with the options chosen per history."""
    links = [link for history in histories
             for link in find_bug_inducing(history.repo, history.fixes, options_for(history))]
    return score(links, {fix: shas for h in histories for fix, shas in h.truth.items()})


def ours(history: TruthHistory) -> SzzOptions:
    """Our default options, looking through the revisions the history's facts select."""
    return SzzOptions(ignore_revs=history.ignored)


def plain(history: TruthHistory) -> SzzOptions:
    """Plain SZZ, the baseline."""
    return SzzOptions.plain()


# Our options with one refinement turned off, by the name of the refinement (the generated
# histories have no generated files, so skip_generated_files has nothing to show here).
WITHOUT_REFINEMENT: dict[str, Callable[[TruthHistory], SzzOptions]] = {
    "skip_blank_lines": lambda h: replace(ours(h), skip_blank_lines=False),
    "skip_comment_lines": lambda h: replace(ours(h), skip_comment_lines=False),
    "skip_cosmetic_changes": lambda h: replace(ours(h), skip_cosmetic_changes=False),
    "ignore_whitespace": lambda h: replace(ours(h), ignore_whitespace=False),
    "respect_report_time": lambda h: replace(ours(h), respect_report_time=False),
    "ignore_revs": lambda h: replace(ours(h), ignore_revs=frozenset()),
}


def generate_history(builder: RepoBuilder, seed: int = 7, steps: int = 230) -> TruthHistory:
    """Write a seeded random history with known bug-inducing commits into builder."""
    generator = _Generator(random.Random(seed), clock=builder.clock)
    generator.run(steps)
    shas = _fast_import(builder, generator.stream)
    builder.clock = generator.clock
    repo = GitRepo(builder.path)
    facts = [(c.sha, len(c.files), sum(f.added + f.deleted for f in c.files), c.is_merge)
             for c in iter_log(repo, ["HEAD"])]
    fixes = tuple(FixCommit(shas[index], when, report)
                  for index, when, report in generator.fixes)
    truth = {shas[fix]: frozenset({shas[inducer]}) for fix, inducer in generator.truth.items()}
    return TruthHistory(repo=repo, fixes=fixes, truth=truth,
                        ignored=select_ignored_revisions(facts), commit_count=len(facts))


def _fast_import(builder: RepoBuilder, stream: list[bytes]) -> list[str]:
    """Import the stream in one git process; return the commit shas in the order written."""
    marks = builder.path.parent / f"{builder.path.name}.marks"
    builder.git("fast-import", "--quiet", f"--export-marks={marks}",
                input_bytes=b"".join(stream))
    builder.git("reset", "-q", "--hard")
    by_mark = dict(line.split(" ") for line in marks.read_text().splitlines())
    return [by_mark[f":{mark}"] for mark in range(1, len(by_mark) + 1)]


def _data(text: str) -> bytes:
    raw = text.encode()
    return f"data {len(raw)}\n".encode() + raw + b"\n"


@dataclass
class _Generator:
    rng: random.Random
    clock: int
    tree: _Tree = field(default_factory=lambda: _Tree({}))
    stream: list[bytes] = field(default_factory=list)
    times: list[int] = field(default_factory=list)
    branch: str = "main"
    tips: dict[str, int] = field(default_factory=dict)
    bugs: dict[int, _Bug] = field(default_factory=dict)
    fixes: list[tuple[int, int, int | None]] = field(default_factory=list)
    truth: dict[int, int] = field(default_factory=dict)
    dirty: set[str] = field(default_factory=set)

    @property
    def index(self) -> int:
        """The index the next commit will have (the origin of the lines it writes)."""
        return len(self.times)

    def run(self, steps: int) -> None:
        names = [f"src/app/part{i // 25}/module_{i:03d}.py" for i in range(MODULES)]
        for start in range(0, MODULES, MODULES_PER_SETUP_COMMIT):
            for name in names[start:start + MODULES_PER_SETUP_COMMIT]:
                self.tree.modules[name] = self._new_module(name)
            self._commit("Add modules")
        for step in range(steps):
            if step == steps // 2:
                self._reformat_everything()
            elif self.rng.random() < TOPIC_CHANCE:
                self._topic_branch()
            else:
                self._step(list(self.tree.modules))

    def _commit(self, message: str, merged: int | None = None) -> int:
        """Write the dirty modules as the next commit of the current branch; return its index."""
        self.clock += int(self.rng.uniform(0.1, 2.0) * DAY)
        self.stream.append(self._commit_header(message, merged))
        for name in sorted(self.dirty):
            self.tree.written[name] = self.tree.render(name)
            self.stream.append(f"M 100644 inline {name}\n".encode()
                               + _data(self.tree.written[name]))
        self.stream.append(b"\n")
        self.dirty.clear()
        self.tips[self.branch] = self.index
        self.times.append(self.clock)
        return self.tips[self.branch]

    def _commit_header(self, message: str, merged: int | None) -> bytes:
        """The fast-import commit command up to its file changes; marks are indexes + 1."""
        lines = [f"commit refs/heads/{self.branch}", f"mark :{self.index + 1}",
                 f"author {IDENTITY} {self.clock} +0000",
                 f"committer {IDENTITY} {self.clock} +0000"]
        parents = [f"from :{self.tips[self.branch] + 1}"] if self.branch in self.tips else []
        parents += [f"merge :{merged + 1}"] if merged is not None else []
        return ("\n".join(lines) + "\n").encode() + _data(message) + "".join(
            f"{parent}\n" for parent in parents).encode()

    def _step(self, allowed: Sequence[str]) -> None:
        operation = _weighted(self.rng, STEP_WEIGHTS)
        if operation == "fix":
            bug = self._fix(allowed)
            if bug is not None:
                self._record_fix(self._commit("Fix a bug"), bug)
                return
            operation = "function"
        name = self._pick_module(allowed)
        if not self._operation(operation)(name) or not self.tree.changed(self.dirty):
            self._add_function(name)
        self._commit(f"Change {name} ({operation})")

    def _operation(self, operation: str) -> Callable[[str], bool]:
        return {
            "function": self._add_function, "edit": self._edit_code,
            "comment": self._edit_comment, "whitespace": self._change_whitespace,
            "reindent": self._reindent, "rename": self._rename_variable,
            "move": self._move_function, "touch": self._touch_buggy_line,
        }[operation]

    def _pick_module(self, allowed: Sequence[str]) -> str:
        weights = [1 / (1 + list(self.tree.modules).index(name) % 40) for name in allowed]
        return self.rng.choices(list(allowed), weights)[0]

    # Building blocks -----------------------------------------------------------------

    def _variable(self) -> str:
        return f"{self.rng.choice(WORDS)}_{self.rng.randrange(60)}"

    def _code(self) -> str:
        if self.rng.random() < GENERIC_CHANCE:
            return GENERIC_LINE
        template = self.rng.choice(CODE_TEMPLATES)
        return template.format(v=self._variable(), v2=self._variable(), w=self.rng.choice(WORDS),
                               f=f"{self.rng.choice(VERBS)}_{self.rng.choice(WORDS)}",
                               n=self.rng.randrange(100), q="{q}")

    def _recode(self, line: Line) -> None:
        """Give a line new code (never its old code) written by the next commit."""
        old = line.code
        while line.code == old:
            line.code = self._code()
        line.origin = self.index

    def _code_line(self, indent: int = 4) -> Line:
        return Line(self._code(), indent=indent, origin=self.index)

    def _new_function(self) -> list[Line]:
        name = f"{self.rng.choice(VERBS)}_{self.rng.choice(WORDS)}_{self.rng.randrange(999)}"
        lines = [Line(f"def {name}({self._variable()}, {self._variable()}):", indent=0,
                      origin=self.index)]
        if self.rng.random() < 0.4:
            lines.append(Line("", comment=self._sentence(), origin=self.index))
        lines += [self._code_line() for _ in range(self.rng.randint(3, 7))]
        return [*lines, Line("", indent=0, origin=self.index)]

    def _new_module(self, name: str) -> list[Line]:
        lines = [Line(f"NAME = {{q}}{name.rsplit('/', 1)[1][:-3]}{{q}}", indent=0,
                      origin=self.index), Line("", indent=0, origin=self.index)]
        for _ in range(self.rng.randint(2, 4)):
            lines += self._new_function()
        self.dirty.add(name)
        return lines

    def _sentence(self) -> str:
        return " ".join(self.rng.choice(WORDS + VERBS) for _ in range(self.rng.randint(2, 6)))

    def _maybe_plant_bug(self, line: Line) -> None:
        if self.rng.random() < BUG_CHANCE:
            line.bug = len(self.bugs)
            self.bugs[line.bug] = _Bug(inducer=self.index)

    def _body_code(self, lines: list[Line], *, buggy: bool = False) -> list[Line]:
        return [line for line in lines if line.is_body_code and (buggy or line.bug is None)]

    # Ordinary commits ----------------------------------------------------------------

    def _add_function(self, name: str) -> bool:
        lines = self.tree.modules[name]
        function = self._new_function()
        self._maybe_plant_bug(self.rng.choice(self._body_code(function)))
        starts = [i for i, line in enumerate(lines) if line.code.startswith("def ")]
        at = self.rng.choice([*starts, len(lines)])
        lines[at:at] = function
        self.dirty.add(name)
        return True

    def _edit_code(self, name: str) -> bool:
        lines = self.tree.modules[name]
        candidates = self._body_code(lines)
        if not candidates:
            return False
        target = self.rng.choice(candidates)
        self._recode(target)
        at = lines.index(target) + 1
        added = [self._code_line(target.indent) for _ in range(self.rng.randint(0, 2))]
        lines[at:at] = added
        self._maybe_plant_bug(self.rng.choice([target, *added]))
        self.dirty.add(name)
        return True

    def _edit_comment(self, name: str) -> bool:
        lines = self.tree.modules[name]
        comments = [line for line in lines if line.comment]
        if comments and self.rng.random() < 0.6:
            self.rng.choice(comments).comment = self._sentence()
        else:
            anchor = self.rng.choice(self._body_code(lines, buggy=True) or lines)
            lines.insert(lines.index(anchor), Line("", indent=anchor.indent,
                                                   comment=self._sentence(), origin=self.index))
        self.dirty.add(name)
        return True

    def _change_whitespace(self, name: str) -> bool:
        candidates = [line for line in self._body_code(self.tree.modules[name], buggy=True)
                      if " = " in line.code or ", " in line.code]
        for line in self.rng.sample(candidates, min(len(candidates), self.rng.randint(2, 5))):
            line.tight = not line.tight
        self.dirty.add(name)
        return bool(candidates)

    def _reindent(self, name: str) -> bool:
        lines = self.tree.modules[name]
        start = self.rng.randrange(len(lines))
        run = [line for line in lines[start:start + self.rng.randint(2, 4)]
               if line.is_body_code and line.indent == 4]
        if len(run) < 2:
            return False
        lines.insert(lines.index(run[0]), Line(f"if {self._variable()}:", origin=self.index))
        for line in run:
            line.indent += 4
        self.dirty.add(name)
        return True

    def _rename_variable(self, name: str) -> bool:
        lines = self.tree.modules[name]
        found = sorted({v for line in lines for v in VARIABLE_RE.findall(line.code)})
        if not found:
            return False
        old = self.rng.choice(found)
        new = f"{self.rng.choice(WORDS)}_{old.rsplit('_', 1)[1]}x"
        for line in lines:
            line.code = re.sub(rf"\b{old}\b", new, line.code)
        self.dirty.add(name)
        return True

    def _move_function(self, name: str) -> bool:
        lines = self.tree.modules[name]
        starts = [i for i, line in enumerate(lines) if line.code.startswith("def ")]
        if len(starts) < 2:
            return False
        first = starts[0]
        block = lines[first:starts[1]]
        del lines[first:starts[1]]
        lines.extend(block)
        self.dirty.add(name)
        return True

    def _touch_buggy_line(self, name: str) -> bool:
        """Change a buggy line without fixing it (a workaround, logging): truth keeps its bug."""
        buggy = [line for line in self.tree.modules[name] if line.bug is not None]
        if not buggy:
            return False
        line = self.rng.choice(buggy)
        line.code = f"{line.code}  or {self._variable()}"
        self.dirty.add(name)
        return True

    # Branches and the formatter --------------------------------------------------------

    def _topic_branch(self) -> None:
        names = list(self.tree.modules)
        topic_names = self.rng.sample(names, 6)
        others = [name for name in names if name not in topic_names]
        main = self.tree
        self.branch = f"topic-{self.index}"
        self.tips[self.branch] = self.tips["main"]
        self.tree = copy.deepcopy(main)
        for _ in range(self.rng.randint(2, 4)):
            self._step(topic_names)
        topic, self.tree, topic_tip = self.tree, main, self.tips[self.branch]
        self.branch = "main"
        for _ in range(self.rng.randint(0, 2)):
            self._step(others)
        for name in topic_names:
            main.modules[name] = topic.modules[name]
            self.dirty.add(name)
        self._commit(f"Merge branch 'topic-{topic_tip}'", merged=topic_tip)

    def _reformat_everything(self) -> None:
        self.tree.quote = '"'
        for name, lines in self.tree.modules.items():
            for line in lines:
                line.tight = False
            self.dirty.add(name)
        self._commit("Reformat the code base with the formatter")

    # Fixes -----------------------------------------------------------------------------

    def _fix(self, allowed: Sequence[str]) -> _Bug | None:
        open_bugs = sorted({line.bug for name in allowed for line in self.tree.modules[name]
                            if line.bug is not None})
        if not open_bugs:
            return None
        bug_id = self.rng.choice(open_bugs)
        name = next(name for name in allowed
                    if any(line.bug == bug_id for line in self.tree.modules[name]))
        buggy = [line for line in self.tree.modules[name] if line.bug == bug_id]
        kind = _weighted(self.rng, FIX_KINDS)
        self._add_fix_noise(name, buggy, kind)
        self._repair(name, buggy, kind, allowed)
        self.dirty.add(name)
        return self.bugs[bug_id]

    def _repair(self, name: str, buggy: list[Line], kind: str, allowed: Sequence[str]) -> None:
        lines = self.tree.modules[name]
        for line in buggy:
            line.bug = None
        if kind in ("change", "rewrite"):
            neighbours = self._neighbours(lines, buggy[0], 2) if kind == "rewrite" else []
            for line in [*buggy, *neighbours]:
                self._recode(line)
        elif kind == "delete":
            lines[:] = [line for line in lines if line not in buggy]
        elif kind == "guard":
            lines.insert(lines.index(buggy[0]), Line(f"assert {self._variable()} is not None",
                                                     indent=buggy[0].indent, origin=self.index))
        elif kind == "reorder":
            self._swap_with_next_code(lines, buggy[0])
        elif not self._change_somewhere(allowed):
            self._recode(buggy[0])

    def _add_fix_noise(self, name: str, buggy: list[Line], kind: str) -> None:
        lines = self.tree.modules[name]
        chance = {noise: self.rng.random() < p for noise, p in FIX_NOISE.items()}
        near = lines[max(0, lines.index(buggy[0]) - 8):lines.index(buggy[0]) + 8]
        comments = [line for line in near if line.comment]
        if chance["comment"] and comments:
            self.rng.choice(comments).comment = self._sentence()
        blanks = [line for line in lines if not line.code and not line.comment]
        if chance["blank"] and blanks:
            lines.remove(min(blanks, key=lambda b: abs(lines.index(b) - lines.index(buggy[0]))))
        if chance["reindent"] and kind in ("change", "rewrite"):
            self._wrap_in_try(lines, buggy[0])
        if chance["whitespace"]:
            for line in self._neighbours(lines, buggy[0], 1):
                line.tight = not line.tight
        if chance["tangle"]:
            self._change_somewhere([name])

    def _neighbours(self, lines: list[Line], line: Line, count: int) -> list[Line]:
        at = lines.index(line)
        around = [other for other in lines[max(0, at - 3):at + 4]
                  if other is not line and other.is_body_code and other.bug is None]
        return self.rng.sample(around, min(count, len(around)))

    def _wrap_in_try(self, lines: list[Line], line: Line) -> None:
        at = lines.index(line)
        run = [other for other in lines[max(0, at - 2):at + 3]
               if other.is_body_code and other.indent == line.indent]
        lines.insert(lines.index(run[0]), Line("try:", indent=line.indent, origin=self.index))
        for other in run:
            other.indent += 4
        after = lines.index(run[-1]) + 1
        lines[after:after] = [Line("except ValueError:", indent=line.indent, origin=self.index),
                              Line("pass", indent=line.indent + 4, origin=self.index)]

    def _swap_with_next_code(self, lines: list[Line], line: Line) -> None:
        at = lines.index(line)
        following = [i for i in range(at + 1, len(lines)) if lines[i].is_body_code]
        if following and lines[following[0]].code != line.code:
            other = following[0]
            lines[at], lines[other] = lines[other], lines[at]
        else:
            self._recode(line)

    def _change_somewhere(self, allowed: Sequence[str]) -> bool:
        name = self._pick_module(allowed)
        candidates = self._body_code(self.tree.modules[name])
        if candidates:
            self._recode(self.rng.choice(candidates))
            self.dirty.add(name)
        return bool(candidates)

    def _record_fix(self, index: int, bug: _Bug) -> None:
        fixed_at, created = self.times[index], self.times[bug.inducer]
        report = (self.rng.randint(created + 1, fixed_at)
                  if self.rng.random() < REPORT_KNOWN_CHANCE and fixed_at > created else None)
        self.fixes.append((index, fixed_at, report))
        self.truth[index] = bug.inducer


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]
