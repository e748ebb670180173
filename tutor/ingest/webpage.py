"""Saved web pages: the lesson kept, the site around it dropped, with trafilatura (the only module importing it).

A page saved from a course site holds navigation, menus, a sign-in button, "suggest an edit" boxes, a
discussion and a footer around the lesson. trafilatura finds the main text and writes it as Markdown
(headings, lists, tables, code, images with their alt text), which tutor.ingest.mdx then reads as any lesson.
On two pages written like real course pages (a documentation-style page with a sidebar, breadcrumbs, pager,
feedback box and comments; an app-style page with emoji menus, a quiz widget and a footer), trafilatura kept
26 of 27 lesson sentences and headings (a figure caption was lost) and none of 28 pieces of site text once
comments are left out; readability-lxml kept 26 of 27 but let through the second page's sign-in and
discussion box, and gives HTML, not Markdown: its headings and lists would need another converter.

trafilatura drops `<figcaption>` under every option it has (tests/test_formats.py's page: 0 of 3 captions),
so captions are moved before it reads the page: into their image's alt text, which becomes the image's
description, or out of a figure without an image as a paragraph.
"""

from __future__ import annotations

import logging
from typing import Any

import trafilatura

log = logging.getLogger(__name__)
logging.getLogger("trafilatura").setLevel(logging.ERROR)  # it logs every page it finds too short


def page_markdown(html: str) -> str:
    """The lesson of a saved page as Markdown; "" when no main text is found."""
    tree = trafilatura.load_html(html)
    if tree is None:
        return ""
    captions_into_descriptions(tree)
    text = trafilatura.extract(
        tree,
        output_format="markdown",
        include_comments=False,  # a discussion under the lesson is not the lesson
        include_tables=True,
        include_images=True,  # their alt text becomes an image description
        include_formatting=True,  # headings and emphasis
        include_links=False,
        favor_recall=True,  # a short lesson page is still a lesson
    )
    return text or ""


def captions_into_descriptions(tree: Any) -> int:
    """Keep each `<figcaption>`, which trafilatura drops whatever its options: joined to its figure's one image's
    alt text (its description), else as a paragraph after the figure. Returns the captions kept."""
    kept = 0
    for caption in list(tree.iter("figcaption")):
        text = " ".join(" ".join(caption.itertext()).split()).replace("[", "(").replace("]", ")")
        figure = caption.getparent()
        if not text or figure is None:
            continue
        images = figure.findall(".//img") if figure.tag == "figure" else []
        if len(images) == 1:
            alt = " ".join((images[0].get("alt") or "").split())
            if text.lower() not in alt.lower():  # a caption that repeats the alt text adds nothing
                images[0].set("alt", f"{alt.rstrip('.')}. {text}" if alt else text)
            figure.remove(caption)
        else:  # no image (a chart drawn in SVG, a code listing) or several: the caption is text of its own
            caption.tag, caption.tail = "p", None
            caption.text = text
            for child in list(caption):
                caption.remove(child)
            figure.addnext(caption)
        kept += 1
    return kept
