"""Lesson Tutor: a local chat tutor over Markdown/MDX lessons. The core; it knows nothing of any UI."""

__version__ = "0.1.0"
