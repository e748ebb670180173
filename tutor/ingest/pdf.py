"""PDF lessons: each page's text, read with pypdf (the only module importing it).

pypdf is pure Python and small. On two handouts written with fpdf2 (headings, wrapped paragraphs, lists, a
running footer; 855 words) it kept every word in reading order, as pdfplumber did, in 5-10 ms against
pdfplumber's 300-350 ms; pdfplumber also needs a newer Pillow than gradio allows. The page texts go to
tutor.ingest.plaintext, which infers headings and puts each passage under its page.
"""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from tutor.errors import LessonError

log = logging.getLogger(__name__)
logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings on odd but readable files are noise here
MAX_PAGES = 500


def pdf_pages(data: bytes, rel: str) -> list[str]:
    """The text of each page, in order; a PDF that cannot be read raises LessonError saying what to do."""
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise LessonError(rel, "the PDF is encrypted; save an unprotected copy to index it")
        if len(reader.pages) > MAX_PAGES:
            raise LessonError(rel, f"the PDF has {len(reader.pages)} pages, over {MAX_PAGES} for one lesson; split it")
        return [(page.extract_text() or "").replace("\x00", "") for page in reader.pages]
    except LessonError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LessonError(rel, f"not a readable PDF ({exc}); re-save or re-export it") from None
