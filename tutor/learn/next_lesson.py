"""Course order and "what next": the next lesson to practise and the lesson to review.

Course order: programs in the order of a top-level `programs.json` (`{"programs": [{"slug": ...}]}`), else by
their program.json `level`, else by name; inside a program, lessons by frontmatter `order`, then by their place
in program.json's `lessons` list, then by slug. Only lessons with quiz items take part: a lesson without
them cannot be practised to a threshold.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.learn.progress import LessonProgress
from tutor.store.manifest import Manifest

log = logging.getLogger(__name__)

LAST = 1e9  # sorts after every real position


@dataclass(frozen=True)
class NextSteps:
    next: str | None  # lesson id: first in course order not yet practised to the threshold
    review: str | None  # lesson id with the most items missed (another lesson than `next`)
    language: str | None
    scores: dict[str, float]  # lesson id -> score, for lessons the learner has answered in
    finished: bool  # every lesson in `language` practised to the threshold


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        log.warning("%s unreadable, ignored for course order: %s", path, exc)
        return None


def read_programs(lessons_dir: Path) -> tuple[dict[str, float], dict[str, list[str]]]:
    """(program -> rank, program -> its program.json lesson slugs) from the JSON files below lessons_dir."""
    root = Path(lessons_dir)
    ranks: dict[str, float] = {}
    listed: dict[str, list[str]] = {}
    if not root.is_dir():
        return ranks, listed
    for pj in sorted(root.rglob("program.json")):
        data = _read_json(pj)
        if not isinstance(data, dict):
            continue
        slug = str(data.get("slug") or pj.parent.name)
        if isinstance(data.get("level"), int | float):
            ranks[slug] = float(data["level"])
        if isinstance(data.get("lessons"), list):
            listed[slug] = [str(x.get("slug") if isinstance(x, dict) else x) for x in data["lessons"]]
    top = _read_json(root / "programs.json") if (root / "programs.json").is_file() else None
    entries = top.get("programs") if isinstance(top, dict) else top
    if isinstance(entries, list):  # the course's own list wins over levels
        for i, e in enumerate(entries):
            name = e.get("slug") if isinstance(e, dict) else e
            if name:
                ranks[str(name)] = -LAST + i
    return ranks, listed


def course_order(manifest: Manifest, lessons_dir: Path) -> list[str]:
    """Every indexed lesson id with quiz items, in course order (all languages)."""
    ranks, listed = read_programs(lessons_dir)

    def key(lid: str) -> tuple[float, str, str, float, float, str]:
        e = manifest.lessons[lid]
        slugs = listed.get(e.program, [])
        place = slugs.index(e.slug) if e.slug in slugs else LAST
        order = e.order if e.order is not None else LAST
        return (ranks.get(e.program, 0.0), e.program, e.language, order, place, e.slug)

    return sorted((lid for lid, e in manifest.lessons.items() if e.quizzes), key=key)


def what_next(
    order: list[str],
    items: Mapping[str, int],
    progress: Mapping[str, LessonProgress],
    threshold: float,
    language: str | None = None,
) -> NextSteps:
    """`order`: lesson ids in course order; `items`: quiz items per lesson; `progress`: the learner's.
    The language is the one asked for, else that of the lesson practised last, else the first lesson's."""
    scores = {lid: p.score(items.get(lid, 0)) for lid, p in progress.items() if lid in items}
    if language is None and progress:
        latest = max((p for p in progress.values() if p.lesson_id in items), key=lambda p: p.last_at, default=None)
        language = latest.lesson_id.split("/")[1] if latest and latest.lesson_id.count("/") >= 2 else None
    if language is None and order:
        language = order[0].split("/")[1] if order[0].count("/") >= 2 else None
    in_language = [lid for lid in order if language is None or lid.split("/")[1:2] == [language]]
    nxt = next((lid for lid in in_language if scores.get(lid, 0.0) < threshold), None)
    place = {lid: i for i, lid in enumerate(order)}
    missed = [p for p in progress.values() if p.missed and p.lesson_id in place and p.lesson_id != nxt]
    missed.sort(key=lambda p: (-len(p.missed), -p.wrong_answers, place[p.lesson_id]))
    review = missed[0].lesson_id if missed else None
    return NextSteps(nxt, review, language, scores, finished=bool(in_language) and nxt is None)
