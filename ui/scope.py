"""What the learner is asking within: the filter choices by title, the banner naming the scope in force,
example questions drawn from the lessons in scope, and links from a source to the course's web page.

Pure functions over the manifest, program titles (program.json) and chunk headings; no gradio here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import quote

from tutor.events import Source
from tutor.store.manifest import LessonEntry, Manifest
from ui.i18n import CATALOGUE, language_name, t
from ui.render import ALL, esc

EXAMPLES = 5
EXAMPLE_CHARS = 60  # Gradio's examples list shows this many characters of a sample, then "..."
QUESTION = "examples.question"  # the catalogue's example question, with the heading as {topic}
QUOTES = (("“", "”"), ("«", "»"))  # a quotation a cut question opened is closed again


@dataclass(frozen=True)
class Scope:
    program: str = ALL
    lesson: str = ALL
    language: str = ALL

    @property
    def on(self) -> bool:
        return bool(self.program or self.lesson or self.language)


def _order(e: LessonEntry) -> tuple:
    return (e.program, e.language, e.order if e.order is not None else 1e9, e.title)


def in_scope(m: Manifest | None, scope: Scope) -> list[tuple[str, LessonEntry]]:
    """(lesson id, entry) of the lessons the scope lets through, in course order."""
    out = [
        (lid, e)
        for lid, e in (m.lessons.items() if m else [])
        if (not scope.program or e.program == scope.program)
        and (not scope.lesson or lid == scope.lesson)
        and (not scope.language or e.language == scope.language)
    ]
    return sorted(out, key=lambda x: _order(x[1]))


def program_choices(m: Manifest | None, titles: Mapping[str, str], lang: str = "en") -> list[tuple[str, str]]:
    programs = sorted({e.program for e in m.lessons.values()}) if m else []
    return [(t(lang, "all.programs"), ALL), *((titles.get(p, p), p) for p in programs)]


def lesson_choices(m: Manifest | None, scope: Scope, lang: str = "en") -> list[tuple[str, str]]:
    lessons = in_scope(m, Scope(scope.program, ALL, scope.language))
    return [(t(lang, "all.lessons"), ALL), *((f"{e.title} ({language_name(e.language)})", lid) for lid, e in lessons)]


def language_choices(m: Manifest | None, lang: str = "en") -> list[tuple[str, str]]:
    """The lessons' languages, by name: a pick filters the lessons and sets the tutor's language."""
    langs = sorted({e.language for e in m.lessons.values()}) if m else []
    return [(t(lang, "all.languages"), ALL), *((language_name(x), x) for x in langs)]


def label(m: Manifest | None, titles: Mapping[str, str], scope: Scope) -> str:
    """The scope in words: "Prompting (AI Foundations)", "AI Foundations · Español"; "" when there is none."""
    parts = []
    entry = m.lessons.get(scope.lesson) if m and scope.lesson else None
    if entry:
        parts.append(f"{entry.title} ({titles.get(entry.program, entry.program)})")
    elif scope.program:
        parts.append(titles.get(scope.program, scope.program))
    if scope.language:
        parts.append(language_name(scope.language))
    return " · ".join(parts)


def banner(m: Manifest | None, titles: Mapping[str, str], scope: Scope, lang: str = "en") -> str:
    """The line above the chat saying which lessons answers come from."""
    words = label(m, titles, scope)
    if not words:
        return f'<div class="scope all" role="status">{esc(t(lang, "scope.all"))}</div>'
    return f'<div class="scope on" role="status">{esc(t(lang, "scope.some", scope=words))}</div>'


def examples(m: Manifest | None, headings: Iterable[tuple[str, str]], scope: Scope, lang: str = "en") -> list[str]:
    """Up to EXAMPLES questions about the lessons in scope, from their section headings (`headings`: lesson
    id and breadcrumb of each chunk): one per lesson in course order, or one per section of a single lesson.

    When the scope holds lessons in the learner's language `lang`, the questions come from those alone. Each
    question is in its lesson's language, with that language's "examples.question" from the catalogue; a
    lesson in a language the catalogue lacks offers its heading as written, never inside another language's
    question."""
    entries = in_scope(m, scope)
    mine = [(lid, e) for lid, e in entries if _base(e.language) == _base(lang)]
    lessons = {lid: _template(e.language) for lid, e in mine or entries}
    sections: dict[str, list[str]] = {lid: [] for lid in lessons}
    for lid, crumb in headings:
        parts = [p.strip() for p in crumb.split(" > ")]
        if lid in sections and len(parts) > 1 and parts[1] not in sections[lid]:
            sections[lid].append(parts[1])
    picked: list[str] = []
    too_long: list[str] = []  # shown cut by the list: used only when too few questions fit
    for depth in range(3):  # the first section of every lesson, then the second ...
        for lid, template in lessons.items():
            if depth < len(sections[lid]) and len(picked) < EXAMPLES:
                h = sections[lid][depth]
                about = topic(h) if template else h.strip()
                if not about.strip("“” ?!:.…"):  # a heading of marks alone ("...", "?") asks nothing
                    continue
                question = template.format(topic=about) if template else about
                (picked if len(question) <= EXAMPLE_CHARS else too_long).append(question)
    return picked + [fit(q) for q in too_long[: max(0, min(EXAMPLES, len(lessons)) - len(picked))]]


def _base(code: str) -> str:
    """A language tag's language: "pt-BR" -> "pt"."""
    return code.replace("_", "-").split("-")[0].lower()


def _template(code: str) -> str:
    """The example question of the catalogue's language `code` (or of its base language), "" when it has none."""
    return CATALOGUE.get(code, {}).get(QUESTION) or CATALOGUE.get(_base(code), {}).get(QUESTION, "")


def fit(question: str, chars: int = EXAMPLE_CHARS) -> str:
    """A question the examples list would cut, shortened to its first whole words and marked "…", with a
    quotation it opened closed again; a question whose first word is already too long stays whole (the list
    cuts it, as nothing here may cut inside a word)."""
    if len(question) <= chars:
        return question
    head = ""
    for word in question.split(" "):
        longer = f"{head} {word}" if head else word
        if len(_ending(longer)) + len(longer) > chars:
            break
        head = longer
    head = head.rstrip(" ,;:")
    return head + _ending(head) if head else question


def _ending(head: str) -> str:
    """What follows a cut question: "…", then the closing mark of a quotation left open."""
    shut = "".join(close for open_, close in QUOTES if head.count(open_) > head.count(close))
    return "…" + shut


def topic(heading: str) -> str:
    """A section heading as it reads inside an example question: "The learning loop" -> "the learning loop"
    ("How RLHF works" -> "how RLHF works"); a heading in title case or asking a question keeps its words, in
    quotation marks ("You Already Use AI Every Day" -> "“You Already Use AI Every Day”"), and a heading that
    opens with an acronym or a name like "ChatGPT" keeps its capitals."""
    h = heading.strip().rstrip("?!:.").strip()
    words = h.split()
    capitalised = sum(w[:1].isupper() for w in words[1:])
    if heading.rstrip().endswith("?") or (len(words) > 1 and capitalised > (len(words) - 1) / 2):
        return f"“{h}”"
    if words and any(c.isupper() for c in words[0][1:]):  # "RLHF in practice", "ChatGPT's memory"
        return h
    return h[:1].lower() + h[1:]


def course_link(template: str | None, m: Manifest | None, s: Source) -> str:
    """The course page of a source's lesson section: `template` with {program}, {language}, {slug}, {anchor}
    filled in (URL-quoted); "" without a template or when the lesson is not in the manifest."""
    e = m.lessons.get(s.lesson_id) if m and template else None
    if not e or not template:
        return ""
    fields = {"program": e.program, "language": e.language, "slug": e.slug, "anchor": s.anchor}
    url = template.format(**{k: quote(v, safe="") for k, v in fields.items()})
    return url.rstrip("#") if url.startswith(("https://", "http://")) else ""


def lessons_html(m: Manifest | None, titles: Mapping[str, str], lang: str = "en") -> str:
    """The course's lessons by program, in course order, with their descriptions."""
    groups: dict[str, list[str]] = {}
    for _, e in in_scope(m, Scope()):
        desc = f' <span class="muted">{esc(e.description)}</span>' if e.description else ""
        groups.setdefault(e.program, []).append(
            f'<li><strong>{esc(e.title)}</strong> <span class="lang">{esc(language_name(e.language))}</span>{desc}</li>'
        )
    body = "".join(f"<h4>{esc(titles.get(p, p))}</h4><ul>{''.join(items)}</ul>" for p, items in groups.items())
    return f'<div class="panel lessons">{body}</div>'
