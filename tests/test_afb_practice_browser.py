"""Practice in headless Chromium on a course laid out as AI-For-Beginners publishes it (issue 31): numbered
lesson folders with a README.md each under lessons/, sections with their own README, and the quizzes apart in
a quiz app's JSON files (`answerOptions` marked `isCorrect`), linked from each lesson by quiz number.

The course is a tiny original one written here; the tutor, its index, the page and the browser are real. One
page load: the lessons are listed by their titles, a wrong and a right answer are checked, the score shown.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tests.browser import ARGS, CHROMIUM

pytestmark = pytest.mark.browser

WAIT_MS = 120_000
QUIZ_SITE = "https://quizzes.example.org/quiz"

LESSONS = {
    "1-Soil/README.md": """
        # Soil and Seeds

        This section is about what plants grow in and how a garden starts: compost first, then seeds.
        """,
    "1-Soil/01-Compost/README.md": f"""
        # Making Compost at Home

        ## [Pre-lecture quiz]({QUIZ_SITE}/101)

        Compost is garden waste that microbes have broken down into a dark, crumbly soil improver.

        ![A heap of layered leaves and kitchen scraps](images/heap.png)

        ## Greens and browns

        A heap needs nitrogen-rich greens, such as grass clippings and vegetable peelings, and carbon-rich
        browns, such as dry leaves and cardboard. About two parts browns to one part greens keeps it healthy.

        ## Turning the heap

        Turning the heap every week or two lets air in; the microbes that break waste down quickly need oxygen.
        A heap that smells of rotten eggs has too little air and too many greens.

        ## [Post-lecture quiz]({QUIZ_SITE}/201)
        """,
    "1-Soil/02-Sowing/README.md": f"""
        # Sowing Seeds Indoors

        ## [Pre-lecture quiz]({QUIZ_SITE}/102)

        Seeds sown on a windowsill in early spring get a head start before the last frost outdoors.
        Most seeds should be covered with soil about twice as deep as the seed is wide.

        ## [Post-lecture quiz]({QUIZ_SITE}/202)
        """,
}
QUIZZES = {  # quiz id -> (quiz title, [(question, options, index of the right one)])
    101: (
        "Making Compost: Pre-Quiz",
        [
            ("What do compost microbes need to work quickly?", ["Oxygen", "Darkness", "Salt"], 0),
            ("Dry leaves and cardboard count as", ["greens", "browns"], 1),
        ],
    ),
    201: ("Making Compost: Post-Quiz", [("A heap that smells of rotten eggs needs", ["more air", "more water"], 0)]),
    102: ("Sowing Seeds: Pre-Quiz", [("Where can seeds start in early spring?", ["A windowsill", "A freezer"], 0)]),
    202: ("Sowing Seeds: Post-Quiz", [("How deep is a seed covered?", ["Twice its width", "Ten times"], 0)]),
}
COMPOST = ("1-soil/en/01-compost", "Making Compost at Home")


def quiz_app(ids: list[int]) -> str:
    """One quiz-app translation file, as the app reads it: its quizzes, each question's options marked."""
    quizzes = [
        {
            "id": qid,
            "title": QUIZZES[qid][0],
            "quiz": [
                {
                    "questionText": q,
                    "answerOptions": [{"answerText": o, "isCorrect": i == right} for i, o in enumerate(opts)],
                }
                for q, opts, right in QUIZZES[qid][1]
            ],
        }
        for qid in ids
    ]
    return json.dumps([{"title": "Gardening: Quizzes", "complete": "Well done", "quizzes": quizzes}], indent=2)


def write_course(root: Path) -> Path:
    translations = root / "etc" / "quiz-app" / "src" / "assets" / "translations" / "en"
    files = {
        "README.md": "# Gardening for Beginners\n\nA short course in growing food, one lesson a week.\n",
        "lessons/README.md": "# The lessons\n\nEach lesson has a quiz before and after it, in the quiz app.\n",
        **{f"lessons/{rel}": textwrap.dedent(text).lstrip() for rel, text in LESSONS.items()},
    }
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    translations.mkdir(parents=True)
    (translations / "lesson-1.json").write_text(quiz_app([101, 201]), encoding="utf-8")
    (translations / "lesson-2.json").write_text(quiz_app([102, 202]), encoding="utf-8")
    (translations / "index.js").write_text('import x1 from "./lesson-1.json";\n', encoding="utf-8")
    return root


def options_of(page, dropdown: str, pick: int | None = None) -> list[str]:
    """The options a dropdown lists (its "✓" mark left out); `pick`: then choose the one at that place."""
    page.click(f"{dropdown} input")
    page.wait_for_selector(f"{dropdown} [role=listbox]", state="visible", timeout=10_000)
    options = page.locator(f"{dropdown} [role=option]")
    shown = [o.replace("✓", "").strip() for o in options.all_inner_texts()]
    if pick is None:
        page.keyboard.press("Escape")
    else:
        options.nth(pick).click()
        name = json.dumps(shown[pick])
        page.wait_for_function(f"() => document.querySelector('{dropdown} input').value === {name}")
    page.wait_for_selector("[role=listbox]", state="hidden", timeout=10_000)
    return shown


def test_practice_on_a_course_in_the_ai_for_beginners_layout(tmp_path: Path, embedder):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    from tutor.build import build_tutor, reindex
    from tutor.settings import Settings
    from ui.app import build_app
    from ui.server import launch

    course = write_course(tmp_path / "gardening")
    tutor = build_tutor(Settings(lessons_dir=course, index_dir=tmp_path / "index"), embedder=embedder)
    summary = reindex(tutor)  # the LLM is never loaded: Practice needs none
    assert sorted(summary.added) == ["1-soil/en/01-compost", "1-soil/en/02-sowing", "1-soil/en/1-soil"]
    keys = {q: opts[right] for _, items in QUIZZES.values() for q, opts, right in items}
    demo = build_app(tutor)
    launch(demo, "127.0.0.1", None, None, prevent_thread_lock=True)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1300, "height": 1100})
            page.goto(demo.local_url, wait_until="domcontentloaded")  # the one page load
            page.wait_for_selector("#question textarea", timeout=WAIT_MS)
            page.get_by_role("tab", name="Practice").click()
            page.wait_for_selector("#practice-next .what-next", timeout=WAIT_MS)
            assert "Soil and Seeds" in options_of(page, "#practice-program")  # the section README's title
            lessons = options_of(page, "#practice-lesson", pick=1)
            assert lessons[1:] == ["Making Compost at Home (3 questions)", "Sowing Seeds Indoors (2 questions)"]
            page.click("#practice-start")
            verdicts = []
            for answered in range(4):  # three items, the one missed asked again last
                card = f'#practice-question .question-card[data-answered="{answered}"]'
                page.wait_for_selector(card, timeout=WAIT_MS)
                assert page.locator(card).get_attribute("data-lesson") == COMPOST[0]
                assert COMPOST[1] in page.locator(card).inner_text()
                question = page.locator("#practice-question .question").inner_text().strip()
                options = page.locator("#practice-choice label")
                labels = [o.strip() for o in options.all_inner_texts()]
                right = labels.index(keys[question])
                options.nth(right if answered else (right + 1) % len(labels)).click()  # the first one wrong
                page.click("#practice-check")
                fb = page.locator("#practice-feedback .feedback")
                fb.wait_for(timeout=WAIT_MS)
                verdicts.append((fb.get_attribute("class") or "", fb.inner_text()))
                assert page.locator("#practice-feedback .key strong").inner_text().strip() == keys[question]
                page.click("#practice-advance")
            assert "wrong" in verdicts[0][0] and "Not quite" in verdicts[0][1]
            assert all("right" in cls.split() for cls, _ in verdicts[1:])
            assert "From the lesson" in verdicts[0][1]  # the supporting passage, from the README
            page.wait_for_selector("#practice-question .summary", timeout=WAIT_MS)
            summary_text = page.locator("#practice-question .summary").inner_text()
            assert "2 of 3 right on the first try" in summary_text
            row = page.locator("#practice-next .scores tr", has_text=COMPOST[1])
            assert "67%" in row.inner_text()  # the lesson's score, by its title
            browser.close()
    finally:
        demo.close()
