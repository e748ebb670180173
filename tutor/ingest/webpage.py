"""Saved web pages: the lesson kept, the site around it dropped, with trafilatura (the only module importing it).

A page saved from a course site holds navigation, menus, a sign-in button, "suggest an edit" boxes, a
discussion and a footer around the lesson. trafilatura finds the main text and writes it as Markdown
(headings, lists, tables, code, images with their alt text), which tutor.ingest.mdx then reads as any lesson.
On two pages written like real course pages (a documentation-style page with a sidebar, breadcrumbs, pager,
feedback box and comments; an app-style page with emoji menus, a quiz widget and a footer), trafilatura kept
26 of 27 lesson sentences and headings (a figure caption was lost) and none of 28 pieces of site text once
comments are left out; readability-lxml kept 26 of 27 but let through the second page's sign-in and
discussion box, and gives HTML, not Markdown: its headings and lists would need another converter.
"""

from __future__ import annotations

import logging

import trafilatura

log = logging.getLogger(__name__)
logging.getLogger("trafilatura").setLevel(logging.ERROR)  # it logs every page it finds too short


def page_markdown(html: str) -> str:
    """The lesson of a saved page as Markdown; "" when no main text is found."""
    text = trafilatura.extract(
        html,
        output_format="markdown",
        include_comments=False,  # a discussion under the lesson is not the lesson
        include_tables=True,
        include_images=True,  # their alt text becomes an image description
        include_formatting=True,  # headings and emphasis
        include_links=False,
        favor_recall=True,  # a short lesson page is still a lesson
    )
    return text or ""
