"""The Practice tab's HTML: pure functions from practice values to strings, no gradio, in the learner's language
(`lang`; the words from ui/i18n's catalogue).

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
def question_html(rnd: Round, lang: str = "en") -> str:
    item = rnd.current
    if item is None:
        return ""
    again = f'<span class="again">{esc(t(lang, "practice.again"))} </span>' if rnd.is_retry else ""
    progress = t(lang, "practice.progress", answered=rnd.answered, right=rnd.right_first_try, left=len(rnd.queue))
    return (
        f'<div class="panel practice question-card" data-lesson="{esc(item.lesson_id)}" '
        f'data-item="{item.number}" data-answered="{rnd.answered}">'
        f'<p class="item-meta">{again}{esc(item.title)} &middot; {esc(t(lang, "practice.item", number=item.number))}'
        f" &middot; {esc(progress)}</p>"
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


def feedback_html(fb: Feedback, lang: str = "en") -> str:
    chosen = fb.item.options[fb.choice]
    verdict = t(lang, "practice.right") if fb.correct else t(lang, "practice.wrong", choice=chosen)
    passage = ""
    if fb.passage is not None:  # the card names the lesson and section; its file is the teacher's business
        passage = f"<h4>{esc(t(lang, 'practice.from_lesson'))}</h4>" + render.source_card(fb.passage)
    explanation = f'<p class="explanation">{esc(fb.explanation)}</p>' if fb.explanation else ""
    return (
        f'<div class="panel practice feedback {"right" if fb.correct else "wrong"}" '
        f'data-lesson="{esc(fb.item.lesson_id)}" data-item="{fb.item.number}">'
        f'<p class="verdict">{esc(verdict)}</p>'
        f'<p class="key">{esc(t(lang, "practice.key"))} <strong>{esc(fb.key_option)}</strong></p>'
        f"{explanation}{passage}</div>"
    )


def summary_html(rnd: Round, lang: str = "en") -> str:
    missed = "".join(f'<li>{esc(i.question)} <span class="muted">({esc(i.title)})</span></li>' for i in rnd.missed)
    missed = f"<h4>{esc(t(lang, 'practice.missed'))}</h4><ul>{missed}</ul>" if missed else ""
    over = t(lang, "practice.summary", right=rnd.right_first_try, total=rnd.total)
    return f'<div class="panel practice summary"><p class="verdict">{esc(over)}</p>{missed}</div>'


def next_html(steps: NextSteps, coach: Coach, lang: str = "en") -> str:
    m = coach.manifest()
    items = coach.items_per_lesson()

    def title(lid: str) -> str:
        e = m.lessons.get(lid)
        return esc(e.title if e else lid)

    def say(key: str, **fields: object) -> str:
        return esc(t(lang, key, **fields))

    pct = round(coach.threshold * 100)
    if steps.next:
        nxt = (
            f'<p class="next">{say("practice.next")} <strong data-lesson="{esc(steps.next)}">{title(steps.next)}'
            f'</strong> <span class="muted">{say("practice.next_why", pct=pct)}</span></p>'
        )
    elif steps.finished:
        nxt = f'<p class="next">{say("practice.finished", pct=pct)}</p>'
    else:
        nxt = f'<p class="next muted">{say("practice.no_items")}</p>'
    review = ""
    if steps.review:
        review = (
            f'<p class="review">{say("practice.review")} <strong data-lesson="{esc(steps.review)}">'
            f'{title(steps.review)}</strong> <span class="muted">{say("practice.review_why")}</span></p>'
        )
    rows = "".join(
        f"<tr><td>{title(lid)}</td><td>{round(score * 100)}%</td><td>{items.get(lid, 0)}</td></tr>"
        for lid, score in steps.scores.items()
    )
    head = "".join(
        f"<th>{say(key)}</th>" for key in ("practice.col.lesson", "practice.col.score", "practice.col.items")
    )
    table = f'<table class="scores"><tr>{head}</tr>{rows}</table>' if rows else ""
    return f'<div class="panel practice what-next">{nxt}{review}{table}</div>'


def lesson_choices(
    coach: Coach, program: str = render.ALL, language: str | None = None, lang: str = "en"
) -> list[tuple[str, str]]:
    """The lessons with quiz items, in course order: those in `language` (all when None, or when the program
    has none in it), each by its title and number of questions; with every language, its language named.
    `lang`: the language the page's own words are in."""
    m = coach.manifest()
    ids = [lid for lid in coach.order() if not program or m.lessons[lid].program == program]
    mine = [lid for lid in ids if m.lessons[lid].language == language]

    def name(lid: str) -> str:
        e, n = m.lessons[lid], len(m.lessons[lid].quizzes)
        where = "" if mine else f" · {language_name(e.language)}"
        count = t(lang, "practice.questions.one" if n == 1 else "practice.questions.many", n=n)
        return f"{e.title}{where} ({count})"

    return [(t(lang, "practice.choose_lesson"), render.ALL), *((name(lid), lid) for lid in mine or ids)]
