"""The answer bubble: the lessons' own sentences first, then the model's explanation, each sentence cited or
set apart. Pure functions from the core's typed values to HTML for the Chatbot; no gradio here.

What a learner reads as lesson text is only ever verbatim lesson text ("From the lessons"). The model's
words sit below, labelled as the model's: while they stream they are grey and "not yet checked"; once
checked, a supported sentence carries the [n] of its passage and an unsupported one stays grey, struck
through lightly and marked "not in the lessons". Everything from a lesson, a learner or the model is
escaped, and markdown link and image syntax is neutralised, so nothing loads a remote URL.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from tutor.answer import prompts
from tutor.answer.sentences import TABLE_RULE
from tutor.events import Answer, KeySentence, SentenceCheck
from ui.i18n import language_name, t

KEYS_LABEL = t("en", "keys.label")  # the English words; every language's are in ui/i18n/catalogue.py
MODEL_LABEL = t("en", "model.label")
DRAFT_LABEL = t("en", "draft.label")
FLAG = t("en", "flag")
MOSTLY = t("en", "mostly")

STYLE_KEY = "border-left:4px solid #8250df;background:#fbefff;color:#21262d;padding:0.35em 0.7em;margin:0.3em 0"
STYLE_LABEL = "font-size:0.85em;font-weight:600;color:#57606a"  # no CSS capitals: some fonts set them oddly
STYLE_DRAFT = "color:#6e7781;font-style:italic"
STYLE_UNSUPPORTED = "color:#8c959f;text-decoration:line-through;text-decoration-color:#d0d7de"
STYLE_FLAG = "font-size:0.75em;color:#9a6700;border:1px solid #d4a72c;border-radius:4px;padding:0 0.25em"
STYLE_ASK = "color:#57606a;font-size:0.85em;margin:0.6em 0 0"
STYLE_NOTE = "border-left:4px solid #d4a72c;background:#fff8c5;color:#3b2300;padding:0.3em 0.6em"


def text(value: object) -> str:
    """Escaped for HTML, with markdown's link and image brackets neutralised (no remote loads)."""
    return html.escape(str(value), quote=True).replace("[", "&#91;").replace("]", "&#93;").replace("!", "&#33;")


QUOTE_MARK = re.compile(r"^[ \t]*>[ \t]?", re.M)  # a quotation's ">" at a line start
ITEM_MARK = re.compile(r"^[ \t]*[-*+][ \t]+", re.M)  # a list item's bullet
LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\n]*\)")  # a markdown link or image: its words stay, the URL goes


def lesson_text(value: object) -> str:
    """Lesson text: escaped as `text`, with its **bold** and *italic* shown as such, one line per line of the
    lesson (a list item opens with "•", a quotation drops its ">", a table row's cells are set apart by "·").
    The chat does not render markdown inside HTML blocks, and a blank line would end the block: the rest used
    to show as markdown, "- " and "> " raw where the block began with them."""
    plain = LINK.sub(r"\1", ITEM_MARK.sub("• ", QUOTE_MARK.sub("", str(value))))
    lines = (_row(line.strip()) for line in plain.splitlines() if not TABLE_RULE.match(line.strip()))
    return "<br>".join(_emphasis(text(line)) for line in lines if line)


def _row(line: str) -> str:
    """A table row's cells as one line: "| 2016 | AlphaGo beats Lee Sedol |" -> "2016 · AlphaGo beats Lee Sedol"."""
    if not line.startswith("|"):
        return line
    return " · ".join(cell.strip() for cell in line.strip("|").split("|") if cell.strip())


def _emphasis(escaped: str) -> str:
    out = re.sub(r"\*\*(\S(?:.*?\S)?)\*\*", r"<strong>\1</strong>", escaped)
    return re.sub(r"(?<![\w*])\*(\S(?:.*?\S)?)\*(?![\w*])", r"<em>\1</em>", out)


def cite(numbers: Sequence[int], turn: int = 0) -> str:
    """Citation links to the source cards of answer number `turn` (0 = the first of the conversation):
    `#src-TURN-N`, the card's id in the sources panel (ui/page_js.py opens that answer's sources)."""
    return "".join(f' <a class="cite" href="#src-{turn}-{n}" data-source="{n}">[{n}]</a>' for n in numbers)


def label(words: str) -> str:
    return f'<div class="label" style="{STYLE_LABEL}">{words}</div>'


def keys_html(keys: Sequence[KeySentence], lang: str = "en", turn: int = 0) -> str:
    if not keys:
        return ""
    quotes = "".join(
        f'<blockquote class="key" data-source="{k.number}" style="{STYLE_KEY}">{lesson_text(k.text)}'
        f'{cite([k.number], turn)}<br><small style="color:#57606a">{text(k.breadcrumb)}</small></blockquote>'
        for k in keys
    )
    return f'<div class="keys">{label(t(lang, "keys.label"))}{quotes}</div>'


def sentence_html(c: SentenceCheck, lang: str = "en", turn: int = 0) -> str:
    if c.supported:
        return f'<span class="supported">{text(c.text)}{cite(c.citations, turn)}</span>'
    return (
        f'<span class="unsupported" title="{t(lang, "flag.title")}" style="{STYLE_UNSUPPORTED}">'
        f'{text(c.text)}</span> <span class="flag" style="{STYLE_FLAG}">{t(lang, "flag")}</span>'
    )


def explanation_html(answer: Answer, lang: str = "en", turn: int = 0) -> str:
    if getattr(answer, "stopped", False):  # a stopped answer: what was written, never checked
        return (
            f'<div class="draft stopped" style="{STYLE_DRAFT}">{label(t(lang, "model.label"))}'
            f'{text(answer.explanation)}</div><p class="note stopped-note" style="{STYLE_NOTE}">'
            f"{t(lang, 'stopped')}</p>"
        )
    if not answer.explains:  # nothing of it supported: the key sentences are the answer
        return ""
    body = " ".join(sentence_html(c, lang, turn) for c in answer.sentences)
    head = label(t(lang, "model.label"))
    if answer.mostly_unsupported:
        return (
            f'<div class="explain mostly-unsupported">{head}<p class="note" style="{STYLE_NOTE}">'
            f"{t(lang, 'mostly')}</p><details><summary>{t(lang, 'show.explanation')}</summary><p>{body}</p>"
            f"</details></div>"
        )
    return f'<div class="explain">{head}<p>{body}</p></div>'


def notes(answer: Answer, lang: str = "en") -> str:
    """What the tutor did to the question before answering, in `lang`: cut a long one, respelt a word; and the
    words of the question that no lesson uses."""
    said = [t(lang, "cut")] if answer.question_cut else []
    if answer.read_as:
        said.append(t(lang, "read_as", question=answer.read_as))
    if answer.unused:
        said.append(t(lang, "unused", words=prompts.quoted(answer.unused)))
    if answer.other_language and answer.language:
        asked, shown = language_name(answer.language), language_name(answer.other_language)
        said.append(t(lang, "notice.other_language", asked=asked, shown=shown))
    return " ".join(said)


def refusal_text(answer: Answer, lang: str = "en") -> str:
    """The tutor's refusal in `lang`, from the answer's typed parts (`scope` names a filter in force)."""
    if answer.refusal == "no_lessons":
        return t(lang, "no_lessons")
    if answer.refusal == "filtered":
        refused = t(lang, "refusal.filtered", scope=answer.scope)
    else:
        refused = t(lang, "refusal.scoped", scope=answer.scope) if answer.scope else t(lang, "refusal")
    out = " ".join(x for x in (notes(answer, lang), refused) if x)
    if answer.suggestions:
        out += f" {t(lang, 'suggest')} " + "; ".join(s.title for s in answer.suggestions) + "."
    return out


def answer_bubble(answer: Answer, lang: str = "en", extra: str = "", turn: int = 0) -> str:
    """The finished answer number `turn` of the conversation; `extra` is HTML put after it (the phone's
    copy of its sources). It ends with "Was this helpful?" above the chat's thumbs (ui/feedback.py)."""
    ask = f'<p class="helpful-ask" style="{STYLE_ASK}">{text(t(lang, "helpful.ask"))}</p>'
    if answer.refused:
        return f'<div class="answer refused"><p>{text(refusal_text(answer, lang))}</p>{extra}{ask}</div>'
    if answer.quiz_hint:  # a quiz's own question: where to read; the answer is for Practice
        links = cite([s.number for s in answer.sources], turn)
        return f'<div class="answer quiz-hint"><p>{text(answer.text)}</p>{links}{extra}{ask}</div>'
    said = notes(answer, lang)
    notice = f'<p class="note" style="{STYLE_NOTE}">{text(said)}</p>' if said else ""
    return (
        f'<div class="answer">{notice}{keys_html(answer.key_sentences, lang, turn)}'
        f"{explanation_html(answer, lang, turn)}{extra}{ask}</div>"
    )


def streaming_bubble(
    keys: Sequence[KeySentence] | None, draft: str, lang: str = "en", place: int = 0, turn: int = 0
) -> str:
    """While the model writes answer number `turn`: the key sentences (once picked) and the unchecked draft,
    in grey. `place` > 0: the model is busy with other learners' answers and this one is number `place` in
    line."""
    if keys is None and not draft and not place:
        return "…"
    wait = (
        f'<p class="waiting" role="status" style="{STYLE_NOTE}">{t(lang, "waiting", place=place)}</p>' if place else ""
    )
    draft_html = (
        f'<div class="draft" style="{STYLE_DRAFT}">{label(t(lang, "draft.label"))}{text(draft) if draft else "…"}</div>'
    )
    return f'<div class="answer streaming">{wait}{keys_html(keys or [], lang, turn)}{draft_html}</div>'


def queued_bubble(lang: str = "en") -> str:
    """A question sent while the previous answer was being written: it waits its turn."""
    return f'<p class="queued" role="status" style="{STYLE_DRAFT}">{t(lang, "queued")}</p>'
