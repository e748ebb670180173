"""User-facing errors: one small hierarchy whose messages say what to do next.

Adapters translate library exceptions into these; the CLI prints one line and exits non-zero, the UI shows
the message. Nothing else should need to catch a third-party exception.
"""

from __future__ import annotations


class TutorError(Exception):
    """Base of every error a user can act on. `exit_code` is what the CLI returns."""

    exit_code = 1


class ConfigError(TutorError):
    """A setting is wrong: a missing file, a bad value, a refused server address."""

    exit_code = 2


class LessonsNotFound(ConfigError):
    """The lessons directory does not exist or is not a directory."""


class IndexMissing(TutorError):
    """There is no usable index where the settings point."""


class IndexMismatch(TutorError):
    """The index was built with another embedding model or chunker than the one configured."""


class IndexBusy(TutorError):
    """Another index run holds the index's writer lock past the wait limit."""

    exit_code = 3


class IndexShrink(TutorError):
    """An index run would remove most indexed lessons (an empty or wrong folder); `--allow-shrink` lets it."""

    exit_code = 2


class IndexUnhealthy(TutorError):
    """The index's collections disagree with its manifest, or Chroma cannot read them."""


class ModelError(TutorError):
    """A model file (embedder directory or GGUF) is missing or cannot be loaded."""


class LessonError(TutorError):
    """One lesson file cannot be read. Carries the file and, where known, the line."""

    def __init__(self, path: str, reason: str, line: int | None = None):
        self.path = path
        self.reason = reason
        self.line = line
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {reason}")


class BadQuestion(TutorError):
    """An empty or unusable question: nothing is retrieved, no model is called."""

    exit_code = 2


class QuizNotFound(TutorError):
    """A lesson, quiz item or option asked for in practice does not exist."""

    exit_code = 2
