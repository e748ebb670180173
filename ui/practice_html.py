"""The Practice tab's HTML: pure functions from practice values to strings, no gradio.

Everything from a lesson (titles, questions, options, explanations, passages) is escaped with ui/render.py's
`esc`; the passage card is render.py's own `source_card`, with the sentences that support the key marked.
"""

from __future__ import annotations

from tutor.learn.coach import Coach
from tutor.learn.next_lesson import NextSteps
from tutor.learn.practice import Feedback, QuizItem, Round
from ui import render
from ui.i18n import language_name, t
from ui.render import esc

CSS = """
.practice .verdict { font-weight: 700; font-size: 1.1em; }
.practice.right .verdict { color: #1a7f37; } .practice.wrong .verdict { color: #cf222e; }
.practice .item-meta { color: #57606a; font-size: 0.85em; }
.practice .question { font-size: 1.1em; font-weight: 600; margin: 0.3em 0; }
.practice table { border-collapse: collapse; } .practice td, .practice th { padding: 0.1em 0.6em; text-align: left; }
"""


# --- HTML (pure) ------------------------------------------------------------------------------------
def question_html(rnd: Round) -> str:
    item = rnd.current
    if item is None:
        return ""
    again = '<span class="again">Again: you missed this one. </span>' if rnd.is_retry else ""
    return (
        f'<div class="panel practice question-card" data-lesson="{esc(item.lesson_id)}" '
        f'data-item="{item.number}" data-answered="{rnd.answered}">'
        f'<p class="item-meta">{again}{esc(item.title)} &middot; question {item.number} &middot; '
        f"{rnd.answered} answered, {rnd.right_first_try} right on the first try, {len(rnd.queue)} to go</p>"
        f'<p class="question">{esc(item.question)}</p></div>'
    )


def offer_html(item: QuizItem, lang: str = "en") -> str:
    """ "Check yourself" under a chat answer: the item's question only (its options are the radio's)."""
    return (
        f'<div class="panel practice check-offer" data-lesson="{esc(item.lesson_id)}" data-item="{item.number}">'
        f'<p class="verdict">{esc(t(lang, "check.title"))}</p>'
        f'<p class="item-meta">{esc(t(lang, "check.from", title=item.title))}</p>'
        f'<p class="question">{esc(item.question)}</p></div>'
    )


def feedback_html(fb: Feedback) -> str:
    verdict = "Right." if fb.correct else f"Not quite: you chose “{esc(fb.item.options[fb.choice])}”."
    passage = ""
    if fb.passage is not None:  # the card names the lesson and section; its file is the teacher's business
        passage = "<h4>From the lesson</h4>" + render.source_card(fb.passage)
    explanation = f'<p class="explanation">{esc(fb.explanation)}</p>' if fb.explanation else ""
    return (
        f'<div class="panel practice feedback {"right" if fb.correct else "wrong"}" '
        f'data-lesson="{esc(fb.item.lesson_id)}" data-item="{fb.item.number}">'
        f'<p class="verdict">{verdict}</p><p class="key">The answer: <strong>{esc(fb.key_option)}</strong></p>'
        f"{explanation}{passage}</div>"
    )


def summary_html(rnd: Round) -> str:
    missed = "".join(f'<li>{esc(i.question)} <span class="muted">({esc(i.title)})</span></li>' for i in rnd.missed)
    missed = f"<h4>Missed on the first try</h4><ul>{missed}</ul>" if missed else ""
    return (
        f'<div class="panel practice summary"><p class="verdict">Round over: {rnd.right_first_try} of '
        f"{rnd.total} right on the first try.</p>{missed}</div>"
    )


def next_html(steps: NextSteps, coach: Coach) -> str:
    m = coach.manifest()
    items = coach.items_per_lesson()

    def title(lid: str) -> str:
        e = m.lessons.get(lid)
        return esc(e.title if e else lid)

    pct = round(coach.threshold * 100)
    if steps.next:
        nxt = (
            f'<p class="next">Next: <strong data-lesson="{esc(steps.next)}">{title(steps.next)}</strong> '
            f'<span class="muted">(the first lesson in course order not yet practised to {pct}%)</span></p>'
        )
    elif steps.finished:
        nxt = f'<p class="next">Every lesson practised to {pct}%. Well done.</p>'
    else:
        nxt = '<p class="next muted">No lesson with quiz items is indexed.</p>'
    review = ""
    if steps.review:
        review = (
            f'<p class="review">Review: <strong data-lesson="{esc(steps.review)}">{title(steps.review)}'
            '</strong> <span class="muted">(the most items missed)</span></p>'
        )
    rows = "".join(
        f"<tr><td>{title(lid)}</td><td>{round(score * 100)}%</td><td>{items.get(lid, 0)}</td></tr>"
        for lid, score in steps.scores.items()
    )
    table = (
        f'<table class="scores"><tr><th>Lesson practised</th><th>score</th><th>items</th></tr>{rows}</table>'
        if rows
        else ""
    )
    return f'<div class="panel practice what-next">{nxt}{review}{table}</div>'


def lesson_choices(coach: Coach, program: str = render.ALL, language: str | None = None) -> list[tuple[str, str]]:
    """The lessons with quiz items, in course order: those in `language` (all when None, or when the program
    has none in it), each by its title and number of questions; with every language, its language named."""
    m = coach.manifest()
    ids = [lid for lid in coach.order() if not program or m.lessons[lid].program == program]
    mine = [lid for lid in ids if m.lessons[lid].language == language]

    def name(lid: str) -> str:
        e, n = m.lessons[lid], len(m.lessons[lid].quizzes)
        where = "" if mine else f" · {language_name(e.language)}"
        return f"{e.title}{where} ({n} question{'s' if n != 1 else ''})"

    return [("Choose a lesson", render.ALL), *((name(lid), lid) for lid in mine or ids)]
