"""The feature catalogue: every mined feature's name, level, unit and definition."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# Bump when a definition changes: stored features of another version are stale.
EXTRACTOR_VERSION = 1
KAMEI = "Kamei et al., TSE 2013"
OURS = "diffrisk"


@dataclass(frozen=True)
class Feature:
    """One feature as documented: what it measures, in which unit, and where it comes from."""

    name: str
    level: Literal["change", "file"]
    unit: str
    definition: str
    source: str = OURS


CHANGE_FEATURES: tuple[Feature, ...] = (
    Feature("ns", "change", "count", "Number of modified subsystems (top-level directories; "
            "files at the root form one subsystem).", KAMEI),
    Feature("nd", "change", "count", "Number of modified directories.", KAMEI),
    Feature("nf", "change", "count", "Number of modified files.", KAMEI),
    Feature("entropy", "change", "bits", "Distribution of the modified lines across the files: "
            "-Σ p·log2 p, p = a file's share of the change's added+deleted lines.", KAMEI),
    Feature("la", "change", "lines", "Lines added (text files; binaries and submodules "
            "count 0).", KAMEI),
    Feature("ld", "change", "lines", "Lines deleted.", KAMEI),
    Feature("lt", "change", "lines", "Lines of code in the modified files before the change, "
            "summed over the files (0 for added files).", KAMEI),
    Feature("fix", "change", "0/1", "1 when the message describes a bug fix (keywords or a "
            "cited issue known as a bug).", KAMEI),
    Feature("ndev", "change", "developers", "Number of distinct developers who changed the "
            "modified files before this change (histories follow renames; a copied file starts "
            "a new history; a deleted path keeps its history if re-added).", KAMEI),
    Feature("age", "change", "days", "Mean, over the modified files that existed before, of the "
            "time since that file's previous change (0 when none existed; a clock that went "
            "backwards counts 0).", KAMEI),
    Feature("nuc", "change", "changes", "Number of distinct earlier changes to the modified "
            "files.", KAMEI),
    Feature("exp", "change", "changes", "Developer experience: the author's earlier non-merge "
            "changes in the repository.", KAMEI),
    Feature("rexp", "change", "changes", "Recent experience: the author's earlier changes, each "
            "weighted 1/(1+n), n = whole years between its year and this change's.", KAMEI),
    Feature("sexp", "change", "changes", "Subsystem experience: the author's earlier changes "
            "that touched a subsystem this change modifies.", KAMEI),
    Feature("nrename", "change", "count", "Files renamed by the change (git's -M detection)."),
    Feature("nadded", "change", "count", "Files the change creates."),
    Feature("ndeleted", "change", "count", "Files the change deletes."),
    Feature("nbinary", "change", "count", "Binary files and submodules modified."),
    Feature("nsource", "change", "count", "Modified files of kind source."),
    Feature("ntest", "change", "count", "Modified files of kind test."),
    Feature("ndoc", "change", "count", "Modified files of kind doc."),
    Feature("nconfig", "change", "count", "Modified files of kind config (build, CI, packaging)."),
    Feature("nlang", "change", "count", "Distinct languages among the modified files."),
    Feature("hour", "change", "hour", "Hour of day of the author date, in the author's own "
            "time zone (0–23)."),
    Feature("weekday", "change", "day", "Day of week of the author date in the author's time "
            "zone (0 = Monday)."),
    Feature("msg_len", "change", "characters", "Length of the commit message."),
    Feature("nissues", "change", "count", "Issue references in the message."),
)

FILE_FEATURES: tuple[Feature, ...] = (
    Feature("la", "file", "lines", "Lines added to the file.", KAMEI),
    Feature("ld", "file", "lines", "Lines deleted from the file.", KAMEI),
    Feature("lt", "file", "lines", "Lines in the file before the change (0 when added).", KAMEI),
    Feature("ndev", "file", "developers", "Distinct developers who changed the file before "
            "(following renames).", KAMEI),
    Feature("age", "file", "days", "Days since the file's previous change (0 when new).", KAMEI),
    Feature("nuc", "file", "changes", "Earlier changes to the file (following renames).", KAMEI),
    Feature("aexp", "file", "changes", "The author's earlier changes to this file (ownership)."),
)

CHANGE_FEATURE_NAMES = tuple(f.name for f in CHANGE_FEATURES)
FILE_FEATURE_NAMES = tuple(f.name for f in FILE_FEATURES)
KAMEI_NAMES = tuple(f.name for f in CHANGE_FEATURES if f.source == KAMEI)


def catalogue_markdown() -> str:
    """The catalogue as the Markdown page docs/features.md."""
    lines = [
        "# Feature catalogue",
        "",
        f"Generated from `analyzers/catalogue.py` by `diffrisk features` (extractor version "
        f"{EXTRACTOR_VERSION}). Features of a commit use only the history before it, in "
        "topological order; times are committer times unless a definition says otherwise. "
        "Merge commits carry no change of their own (nf = 0) and do not count as anyone's "
        "experience. Renames are followed (git -M); a copy counts as a new file.",
        "",
    ]
    for title, features in (("Change level (one row per commit)", CHANGE_FEATURES),
                            ("File level (one row per file a commit changes)", FILE_FEATURES)):
        lines += [f"## {title}", "", "| name | unit | definition | source |", "|---|---|---|---|"]
        lines += [f"| `{f.name}` | {f.unit} | {f.definition} | {f.source} |" for f in features]
        lines.append("")
    return "\n".join(lines)
