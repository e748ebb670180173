"""Quiz figures per question language: the searches an evaluation already ran, grouped by the language of
each question (`tutor eval`, bench/quality.py). Rows carry language codes (JSON); the tables for people name
each language as its speakers write it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypedDict

from tutor.text.names import language_name

NOT_FOUND = 10**6  # the rank of a lesson the search did not return at all (reciprocal rank ~0)

LanguageRow = TypedDict(
    "LanguageRow",
    {
        "language": str,  # the lessons' code ("en", "es")
        "n": int,  # quiz questions in that language
        "recall@1": float,  # share whose own lesson was ranked first
        "recall@3": float,  # share whose own lesson was among the first three
        "mrr": float,  # mean of 1 / rank of the own lesson
        "answered": float,  # share the evidence gate let through
    },
)


def by_language(languages: Sequence[str], ranks: Sequence[int], answered: Sequence[bool]) -> list[LanguageRow]:
    """One row per question language, English first, then by code. The three sequences run over the same
    questions in the same order: each question's language, its own lesson's rank (NOT_FOUND when absent) and
    whether the gate answered it."""
    if not len(languages) == len(ranks) == len(answered):
        raise ValueError(f"{len(languages)} languages, {len(ranks)} ranks, {len(answered)} gate results")
    groups: dict[str, list[tuple[int, bool]]] = {}
    for lang, rank, ok in zip(languages, ranks, answered, strict=True):
        groups.setdefault(lang, []).append((rank, ok))
    rows: list[LanguageRow] = []
    for lang in sorted(groups, key=lambda c: (c != "en", c)):
        g = groups[lang]
        n = len(g)
        rows.append(
            {
                "language": lang,
                "n": n,
                "recall@1": sum(r <= 1 for r, _ in g) / n,
                "recall@3": sum(r <= 3 for r, _ in g) / n,
                "mrr": sum(1 / r for r, _ in g) / n,
                "answered": sum(ok for _, ok in g) / n,
            }
        )
    return rows


def table(rows: Sequence[LanguageRow]) -> list[str]:
    """The rows as aligned text lines (the terminal, the summary)."""
    width = max([len("language"), *(len(language_name(r["language"])) for r in rows)])
    head = f"  {'language':{width}}  {'n':>4}  recall@1  recall@3    MRR  answered"
    return [
        head,
        *(
            f"  {language_name(r['language']):{width}}  {r['n']:4d}  {r['recall@1']:8.3f}  {r['recall@3']:8.3f}  "
            f"{r['mrr']:5.3f}  {r['answered']:8.3f}"
            for r in rows
        ),
    ]


def markdown(rows: Sequence[LanguageRow]) -> list[str]:
    """The rows as a Markdown table (report.md)."""
    return [
        "| language | questions | recall@1 | recall@3 | MRR | answered |",
        "|---|---:|---:|---:|---:|---:|",
        *(
            f"| {language_name(r['language'])} | {r['n']} | {r['recall@1']:.3f} | {r['recall@3']:.3f} | "
            f"{r['mrr']:.3f} | {r['answered']:.3f} |"
            for r in rows
        ),
    ]
