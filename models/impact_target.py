"""The impact label: what followed a past change, on the 0–10 impact scale.

Label. The follow-up of a past change is the set of distinct other files changed by later
commits that touch one of its files (followed across renames) within WINDOW_DAYS of it;
commits over MAX_TRANSACTION_FILES files are mechanical (reformatting, licence headers) and
are left out, as in logical coupling. WINDOW_DAYS = 30: a change's fallout (fixes, adapting
callers, docs and tests) mostly lands within a release cycle, while a longer window mostly
adds unrelated work on hot files. A change whose window is not over by the time its history
ends (or by a training cut) has no label yet: it is censored, never counted as 0.

Scale. impact_scale maps a file count n to 10·log2(1 + n) / log2(1 + SATURATION_FILES),
capped at 10: every doubling of the follow-up adds the same step (10/6 ≈ 1.67), since one
extra file matters more after 1 than after 40; SATURATION_FILES = 63 (score 10) is above the
98th percentile of real changes' follow-ups (30 days: flask 36, requests 19, click 44 files)
and near their maxima (70, 46, 66), so only the widest follow-ups saturate.
The blast-radius baseline maps the unlearned blast size with the same scale.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence

from analyzers.changes import ChangeRecord, FileIdentities
from analyzers.coupling import MAX_TRANSACTION_FILES

WINDOW_DAYS = 30
DAY = 86_400
# Commits in mining (topological) order may carry earlier times (rebases); a later commit is
# looked at until it is this far past the window.
CLOCK_SKEW_DAYS = 30
SATURATION_FILES = 63
# How many earlier changes of a change's files its past impact averages.
PAST_CHANGES = 20
MAX_IMPACT = 10.0


def impact_scale(files: float) -> float:
    """A count of affected files on the 0–10 log scale (each doubling adds the same step)."""
    if files <= 0:
        return 0.0
    return min(MAX_IMPACT, MAX_IMPACT * math.log2(1 + files) / math.log2(1 + SATURATION_FILES))


def _touch_identities(records: Sequence[ChangeRecord],
                      ) -> list[tuple[frozenset[int], dict[int, str]]]:
    """Per change: the identities it touched, and its surviving files' paths by identity."""
    identities = FileIdentities()
    result = []
    for record in records:
        touched: set[int] = set()
        living: dict[int, str] = {}
        for touch in record.files:
            identity = identities.touch(touch)
            touched.add(identity)
            if touch.status != "D":
                living[identity] = touch.path
        result.append((frozenset(touched), living))
    return result


def followup_files(records: Sequence[ChangeRecord], *, window_days: int = WINDOW_DAYS,
                   as_of: int | None = None,
                   max_transaction_files: int = MAX_TRANSACTION_FILES,
                   ) -> list[frozenset[str] | None]:
    """For each change of a history (mining order), the other files (one name per file, the
    latest) that later commits touching its files changed within the window; None when the
    window ends after as_of."""
    touched = _touch_identities(records)
    commits_of = _commits_of(touched)
    result: list[frozenset[str] | None] = []
    for index, record in enumerate(records):
        end = record.time + window_days * DAY
        if as_of is not None and end > as_of:
            result.append(None)
            continue
        result.append(_followups(records, touched, commits_of, index, end,
                                 max_transaction_files))
    return result


Touched = list[tuple[frozenset[int], dict[int, str]]]


def _commits_of(touched: Touched) -> dict[int, list[int]]:
    """The indices of the changes touching each file identity, in order."""
    commits_of: dict[int, list[int]] = {}
    for index, (identities, _) in enumerate(touched):
        for identity in identities:
            commits_of.setdefault(identity, []).append(index)
    return commits_of


def _followups(records: Sequence[ChangeRecord], touched: Touched,
               commits_of: Mapping[int, list[int]], index: int, end: int,
               max_transaction_files: int) -> frozenset[str]:
    """The other files later commits touching the change's files changed before end."""
    own = touched[index][0]
    later = _later_commits(records, commits_of, own, index, end)
    files = {identity: path for j in sorted(later)
             if len(records[j].files) <= max_transaction_files
             for identity, path in touched[j][1].items() if identity not in own}
    return frozenset(files.values())


def _later_commits(records: Sequence[ChangeRecord], commits_of: Mapping[int, list[int]],
                   own: frozenset[int], index: int, end: int) -> set[int]:
    """Commits after index, within the window's end, touching one of the identities."""
    found: set[int] = set()
    for identity in own:
        positions = commits_of[identity]
        for j in positions[bisect.bisect_right(positions, index):]:
            if records[j].time > end + CLOCK_SKEW_DAYS * DAY:
                break
            if records[j].time <= end:
                found.add(j)
    return found


def impact_targets(records: Sequence[ChangeRecord], *, window_days: int = WINDOW_DAYS,
                   as_of: int | None = None) -> list[float | None]:
    """The 0–10 impact target of each change of a history; None while not yet known."""
    return [None if files is None else impact_scale(len(files))
            for files in followup_files(records, window_days=window_days, as_of=as_of)]


def past_impacts(records: Sequence[ChangeRecord], *, window_days: int = WINDOW_DAYS,
                 last: int = PAST_CHANGES) -> list[tuple[float, int]]:
    """For each change of a history, the mean impact target of up to `last` earlier changes
    to its files whose windows were over when it was made (their follow-ups all lie in its
    past), and how many there were."""
    targets = impact_targets(records, window_days=window_days)
    touched = _touch_identities(records)
    commits_of: dict[int, list[int]] = {}
    result: list[tuple[float, int]] = []
    for index, record in enumerate(records):
        known = record.time - window_days * DAY
        earlier = sorted({j for identity in touched[index][0]
                          for j in commits_of.get(identity, ())[-4 * last:]
                          if records[j].time <= known}, reverse=True)[:last]
        values = [targets[j] or 0.0 for j in earlier]
        result.append((sum(values) / len(values) if values else 0.0, len(values)))
        for identity in touched[index][0]:
            commits_of.setdefault(identity, []).append(index)
    return result


def last_past_impact(records: Sequence[ChangeRecord], *, window_days: int = WINDOW_DAYS,
                     last: int = PAST_CHANGES) -> tuple[float, int]:
    """past_impacts(records)[-1], computing the targets of only the changes it averages."""
    if not records:
        return 0.0, 0
    touched = _touch_identities(records)
    commits_of = _commits_of(touched)
    index = len(records) - 1
    known = records[index].time - window_days * DAY
    earlier = sorted({j for identity in touched[index][0]
                      for j in [i for i in commits_of.get(identity, ()) if i < index][-4 * last:]
                      if records[j].time <= known}, reverse=True)[:last]
    values = [impact_scale(len(_followups(records, touched, commits_of, j,
                                          records[j].time + window_days * DAY,
                                          MAX_TRANSACTION_FILES))) for j in earlier]
    return (sum(values) / len(values) if values else 0.0, len(values))


def impact_target(change: ChangeRecord, later: Sequence[ChangeRecord], *,
                  window_days: int = WINDOW_DAYS) -> float:
    """The 0–10 impact target of one past change from the commits that came after it."""
    files = followup_files([change, *later], window_days=window_days)[0]
    return impact_scale(len(files or ()))
