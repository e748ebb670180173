"""Plain text read as a lesson: paragraphs, inferred headings, and a rendered page's site chrome left out.

A `.txt` lesson, or a PDF's pages (tutor.ingest.pdf), has no markup, and a web page saved as text holds the
site's menus, footer and "sign in" boxes around (and inside) the lesson. `parse_plain` reads it as follows.

- **Units.** Each line is a unit; a wrapped line (WRAPPED_WORDS words or more, not ending a sentence) goes on
  into the next, so hard-wrapped paragraphs read whole. A line starting with a bullet or "1." is a list item.
- **Left out:** lines with no letters or digits (emoji, rules), a lone page number, menu lines (three or more
  items glued by emoji, an "A › B › C" breadcrumb, a link ending in an arrow), lines shared by several pages
  of the same site (`shared`, see `shared_lines`), a short line the text repeats (a widget's title, "Quick
  check", a PDF's running footer) and, on a page, the lone question after such a title (a quick-check quiz's
  prompt: quizzes are never passages).
- **Prose** is a unit that reads as a sentence (PROSE_WORDS words ending in . ! ? : ; or LONG_WORDS words).
  A run of short units between prose is chrome (a menu, a footer, "Sign in to join the discussion"), except
  its last unit when that is a heading (title-like: at most 12 words, most long words capitalised, followed
  by prose) or a lead-in ending in ":" ("Think about it:"), which is joined to the paragraph after it. A lone
  short line between prose paragraphs (a formula) stays. `# Heading` lines are headings as in Markdown.
- **Headings.** The first heading before any prose is the title (level 1), the others level 2; two title-like
  lines opening the text are the title and the first section's heading. With `pages`
  (a PDF), each page's passages sit under a "Page N" heading (level 6, below any inferred heading) so a
  passage says its page.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tutor.ingest.mdx import Block

WRAPPED_WORDS = 8  # a line this long that does not end a sentence is taken as wrapped onto the next
PROSE_WORDS = 5  # a sentence: at least this many words and a closing . ! ? : ;
LONG_WORDS = 12  # or this many words, however it ends
HEADING_WORDS = 12  # a heading has at most this many words
EMOJI = re.compile("[\U0001f000-\U0001faff\u2300-\u23ff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d]")
BULLET = re.compile(r"^(?:[•·◦▪●‣*–-]|\d{1,3}[.)])\s+")
MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")
CRUMBS = re.compile(r"[›»]")
WORD = re.compile(r"[^\W_]+")
END = re.compile(r"[.!?:;…][\"'”’)\]]*$")


@dataclass
class Unit:
    start: int  # character span in the text, end exclusive
    end: int
    text: str
    kind: str = "short"  # "prose", "item", "short", "heading", "drop"
    level: int = 0
    page: int = 0


def shared_lines(texts: Sequence[str]) -> frozenset[str]:
    """Lines that several pages of one site share (menus, footers): in at least two of the texts and in at
    least half of them. One text alone shares nothing."""
    if len(texts) < 2:
        return frozenset()
    counts = Counter(line for t in texts for line in {x.strip() for x in t.splitlines()} if line)
    return frozenset(line for line, n in counts.items() if n >= 2 and 2 * n >= len(texts))


def _words(text: str) -> int:
    return len(WORD.findall(text))


def _is_menu(text: str) -> bool:
    pieces = [p for p in EMOJI.split(text) if WORD.search(p)]
    if len(pieces) >= 3:
        return True  # "🧠Playground de Red Neuronal🤖¿IA o Humano?💬Laboratorio de Prompts"
    if len(CRUMBS.findall(text)) >= 2:
        return True  # "Académicos › AI Canopy › Lecciones › Modelos de Lenguaje Grandes"
    return _words(text) <= 6 and bool(re.search(r"^\s*[←→]|[←→]\s*$", text))  # "←Volver al programa"


def title_like(text: str) -> bool:
    text = EMOJI.sub("", text).strip()
    words = re.findall(r"[^\W\d_][\w'’-]*", text)
    if not words or len(words) > HEADING_WORDS or END.search(text.rstrip("?")) or text[-1] in ",":
        return False
    if not (text[0].isupper() or text[0].isdigit()):
        return False
    long = [w for w in words if len(w) >= 4]
    return len(words) <= 3 or sum(w[0].isupper() for w in long) >= 0.6 * len(long)


def _units(text: str, shared: frozenset[str]) -> list[Unit | None]:
    """Units in order, None for a blank line (a paragraph break)."""
    out: list[Unit | None] = []
    for m in re.finditer(r"[^\n]*\n?", text):
        raw = m.group(0).rstrip("\r\n")
        line = raw.strip()
        if not line or line == "\f":
            if m.group(0):
                out.append(None)
            continue
        start = m.start() + len(raw) - len(raw.lstrip())
        unit = Unit(start, start + len(line), line)
        heading = MD_HEADING.match(line)
        if line in shared or not WORD.search(line) or re.fullmatch(r"\d{1,4}", line) or _is_menu(line):
            unit.kind = "drop"
        elif heading:
            unit.kind, unit.level, unit.text = "heading", len(heading.group(1)), heading.group(2)
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind in ("short", "item")
            and unit.kind == "short"
            and not BULLET.match(line)
            and _words(prev.text.splitlines()[-1]) >= WRAPPED_WORDS
            and not END.search(prev.text)
        ):  # a wrapped line goes on here
            joined = prev.text[:-1] if prev.text.endswith("-") and not prev.text.endswith(" -") else prev.text + " "
            prev.text, prev.end = joined + line, unit.end
            continue
        out.append(unit)
    for u in out:
        if u is not None and u.kind == "short":
            words = _words(u.text)
            item = bool(BULLET.match(u.text))
            ends = bool(END.search(u.text))
            if item and (words >= 8 or (words >= 4 and ends)):
                u.kind, u.text = "item", BULLET.sub(lambda b: b.group(0) if b.group(0)[0].isdigit() else "- ", u.text)
            elif not item and (words >= LONG_WORDS or (words >= PROSE_WORDS and ends)):
                question_heading = u.text.endswith("?") and title_like(u.text)
                u.kind = "short" if question_heading else "prose"
    return out


def _drop_repeated(units: list[Unit], quiz_prompts: bool) -> None:
    """A short line the text repeats is a widget's title or a running footer, not lesson text (a repeated
    lead-in ending in ":", "Think about it:", stays). After a widget title, a lone question is its quiz."""
    counts = Counter(EMOJI.sub("", u.text).strip() for u in units if u.kind == "short")
    for i, u in enumerate(units):
        if u.kind != "short" or counts[EMOJI.sub("", u.text).strip()] < 2 or u.text.endswith(":"):
            continue
        u.kind = "drop"
        nxt = next((v for v in units[i + 1 :] if v.kind != "drop"), None)
        if quiz_prompts and nxt and nxt.kind == "prose" and nxt.text.endswith("?") and _words(nxt.text) <= 25:
            nxt.kind = "drop"


def parse_plain(text: str, shared: Iterable[str] = (), pages: Sequence[int] = ()) -> list[Block]:
    """Blocks of a plain-text lesson (see the module docstring); spans index into `text`. `pages`: the offset
    where each page starts (a PDF), else empty."""
    found = _units(text, frozenset(shared))
    units = [u for u in found if u is not None]
    for u in units:
        u.page = sum(1 for p in pages if p <= u.start)
    _drop_repeated(units, quiz_prompts=not pages)
    live = [u for u in units if u.kind != "drop"]
    for i, u in enumerate(live):
        if u.kind != "short" or (i + 1 < len(live) and live[i + 1].kind == "short"):
            continue  # not the last unit of a run of short units
        first = i
        while first > 0 and live[first - 1].kind == "short":
            first -= 1
        nxt = live[i + 1] if i + 1 < len(live) else None
        before = live[first - 1] if first > 0 else None
        for v in live[first:i]:
            v.kind = "drop"  # a menu, a footer, a sign-in box
        if first == 0 and i == 1 and title_like(live[0].text) and title_like(u.text):
            live[0].kind = "heading"  # a title and the first section's heading open the text
        if nxt is not None and nxt.kind in ("prose", "item") and title_like(u.text):
            u.kind, u.text = "heading", EMOJI.sub("", u.text).strip()
        elif nxt is not None and nxt.kind in ("prose", "item") and u.text.endswith(":"):
            nxt.text, nxt.start = f"{EMOJI.sub('', u.text).strip()} {nxt.text}", u.start
            u.kind = "drop"
        elif first == i and before is not None and before.kind in ("prose", "item") and nxt is not None:
            u.kind = "prose"  # a lone short line inside the lesson (a formula) stays
        else:
            u.kind = "drop"
    return _blocks([u for u in live if u.kind != "drop"], found, bool(pages))


def _blocks(units: list[Unit], found: list[Unit | None], paged: bool) -> list[Block]:
    blocks: list[Block] = []
    seen_prose = False
    page = 0
    after_break = {id(u) for prev, u in zip([None, *found], found) if u is not None and prev is None}
    for u in units:
        if u.kind == "heading":
            level = u.level or (1 if not seen_prose and not any(b.kind == "heading" for b in blocks) else 2)
            blocks.append(Block("heading", u.text, u.start, u.end, level=level))
            page = 0  # the page goes again under the new heading
            continue
        if paged and u.page != page:
            page = u.page
            blocks.append(Block("heading", f"Page {page}", u.start, u.start, level=6))
        seen_prose = True
        last = blocks[-1] if blocks else None
        if u.kind == "item" and last is not None and last.kind == "text" and id(u) not in after_break:
            item = EMOJI.sub("", u.text).strip()
            blocks[-1] = Block("text", f"{last.text}\n{item}", last.start, u.end)  # one list, one block
            continue
        blocks.append(Block("text", EMOJI.sub("", u.text).strip(), u.start, u.end))
    return blocks
