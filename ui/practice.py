"""The Practice tab: quiz rounds over the lessons' own quizzes, progress and what to study next."""

from __future__ import annotations

import gradio as gr

from tutor.answer.turn import Tutor


def practice_tab(tutor: Tutor) -> None:
    """Lay out the Practice tab inside the caller's `gr.Tab` and wire its events."""
    gr.Markdown("Practice with the lessons' own quizzes.")
