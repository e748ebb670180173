"""What an index run took in and left out, said in words: never a silent run.

tutor.ingest.walk and tutor.ingest.folders sort the lesson-like files found (any file with a lesson suffix,
files inside skipped folders included) into lessons and files left out, each with its reason. This module turns
that into what the teacher reads: how many files were left out and why (`left_out_counts`, `left_out_line`),
and warnings when a run is likely not what was meant: files found but none taken in, more than half left out,
or lesson files sitting outside the `lessons/` folders of a course laid out with them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from tutor.errors import LessonError
from tutor.ingest.folders import OUTSIDE_LESSONS, LeftOut

NAMED = 3  # files (or reasons) named before "and N more"


def left_out_counts(left_out: Sequence[LeftOut]) -> Counter[str]:
    """reason -> lesson-like files left out for it (a skipped folder counts the lesson files inside it)."""
    counts: Counter[str] = Counter()
    for x in left_out:
        counts[x.reason] += x.files
    return counts


def left_out_line(left_out: Sequence[LeftOut]) -> str:
    """'3 lesson-like files left out (2 outside ..., 1 a repository file ...)', or '' when none was."""
    counts = left_out_counts(left_out)
    total = sum(counts.values())
    if not total:
        return ""
    why = "; ".join(f"{n} {reason}" for reason, n in counts.most_common(NAMED))
    why += "; ..." if len(counts) > NAMED else ""
    return f"{total} lesson-like file{'s' if total != 1 else ''} left out ({why})"


def _named(paths: Sequence[str]) -> str:
    more = f" and {len(paths) - NAMED} more" if len(paths) > NAMED else ""
    return ", ".join(paths[:NAMED]) + more


def coverage_warnings(left_out: Sequence[LeftOut], found: int, taken: int, failed: int) -> list[LessonError]:
    """Warnings for a run that is likely not what the teacher meant (`found`: lesson-like files the walk read
    as candidates; `taken`: lessons taken in; `failed`: unreadable files). Files outside a course's lessons/
    folders get a warning of their own, with what to do, and are not counted again in the general one."""
    outside = [x.path for x in left_out if x.reason == OUTSIDE_LESSONS]
    warnings = []
    if outside:
        n = len(outside)
        warnings.append(
            LessonError(
                ".",
                f"{n} lesson-like file{'s' if n != 1 else ''} left out as {OUTSIDE_LESSONS} ({_named(outside)}): "
                "this course keeps its lessons in lessons/ folders (programs/<program>/lessons/<lang>/) and only "
                "files there are read; move them into one to index them, or out of the lessons folder",
            )
        )
    found -= len(outside)
    out = found - taken
    if found > 0 and (not taken or 2 * out > found):
        reasons = Counter(x.reason for x in left_out if not x.path.endswith("/") and x.reason != OUTSIDE_LESSONS)
        if failed:
            reasons["unreadable (see the warnings above)"] = failed
        why = "; ".join(f"{n} {r}" for r, n in reasons.most_common(3))
        what = "none of them was taken in" if not taken else f"{out} of them were left out"
        warnings.append(
            LessonError(
                ".",
                f"found {found} lesson-like files but {what}: {why or 'see the warnings above'}. Lessons are "
                ".md/.mdx/.txt/.html/.pdf/.ipynb files, or folders with a README.md or index.md; "
                "`tutor index --dry-run` lists each file and why it was left out",
            )
        )
    return warnings
