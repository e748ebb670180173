"""Course layouts as repositories publish them: lesson folders with a README each, sections, files that are not
lessons, quizzes kept apart (quiz-app JSON, the tutor's own quiz.yaml), and runs that are never silent.

Every course here is a few small files written under tmp_path; the loader and `tutor index` are the real ones.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from tests.conftest import run_cli
from tutor.ingest.lessons import load_lessons, program_titles

BODY = "This lesson explains {topic} with a worked example, a short history and a few exercises to try at home."


def write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return root


def page(title: str, extra: str = "") -> str:
    return f"# {title}\n\n{BODY.format(topic=title.lower())}\n\n{extra}\n"


def quiz_app(qid: int, title: str, questions: list[tuple[str, list[str], int]]) -> str:
    quiz = [
        {"questionText": q, "answerOptions": [{"answerText": o, "isCorrect": i == right} for i, o in enumerate(opts)]}
        for q, opts, right in questions
    ]
    return json.dumps([{"title": "Quizzes", "quizzes": [{"id": qid, "title": f"{title}: Pre Quiz", "quiz": quiz}]}])


COURSE = {  # a repository laid out as open courses publish them
    "README.md": page("Welcome to the course"),
    "LICENSE.md": "MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy.\n",
    "CONTRIBUTING.md": page("Contributing"),
    "1-Intro/README.md": page("Introduction to Machine Learning"),
    "2-Regression/README.md": page("Regression", "In this section you fit lines and curves to data."),
    "2-Regression/1-Tools/README.md": page("Tools of the trade"),
    "2-Regression/1-Tools/lab/README.md": page("Set up a notebook"),
    "2-Regression/1-Tools/README.es.md": page("Herramientas"),
    "2-Regression/1-Tools/translations/README.it.md": page("Strumenti"),
    "2-Regression/2-Data/index.md": page("Prepare the data"),
    "2-Regression/10-Logistic/README.md": page("Logistic regression"),
    "sketchnotes/README.md": page("Sketchnotes"),
    "3-Later/README.md": "Placeholder\n",
}


def test_lesson_folders_sections_and_what_stays_out(tmp_path: Path):
    root = write(tmp_path / "ml-course", COURSE)
    report = load_lessons(root)
    by_id = {le.id: le for le in report.lessons}
    assert set(by_id) == {
        "1-intro/en/1-intro",
        "2-regression/en/2-regression",  # the section's README: its program's overview
        "2-regression/en/1-tools",
        "2-regression/es/1-tools",  # README.es.md: the same lesson in Spanish
        "2-regression/en/1-tools/lab",
        "2-regression/en/2-data",
        "2-regression/en/10-logistic",
    }
    assert by_id["2-regression/en/1-tools"].title == "Tools of the trade"
    assert by_id["2-regression/es/1-tools"].title == "Herramientas"
    assert by_id["2-regression/en/2-data"].path == "2-Regression/2-Data/index.md"
    in_order = [le.slug for le in report.lessons if le.program == "2-regression" and le.language == "en"]
    assert in_order == ["2-regression", "1-tools", "1-tools/lab", "2-data", "10-logistic"]  # numbers, not text
    assert program_titles(root)["2-regression"] == "Regression"
    left = {x.path: x.reason for x in report.left_out}
    assert set(left) == {
        "README.md",
        "LICENSE.md",
        "CONTRIBUTING.md",
        "2-Regression/1-Tools/translations/",
        "sketchnotes/",
        "3-Later/README.md",
    }
    assert "repository" in left["README.md"] and "translation" in left["2-Regression/1-Tools/translations/"]
    assert "placeholder" in left["3-Later/README.md"]
    assert not report.warnings and not report.failed_paths


TRANSLATED = {  # READMEs beside READMEs, as courses translated in place publish them
    "README.md": page("Welcome to the course"),
    "README.es.md": page("Bienvenida al curso"),  # the repository's: left out, as its original
    "lessons/README.es.md": page("Las lecciones"),  # the course folder's: left out too
    "lessons/1-Plants/README.md": page("Plants", "This section is about plants."),
    "lessons/1-Plants/README.es.md": page("Plantas", "Esta sección trata de las plantas."),
    "lessons/1-Plants/03-Leaves/README.md": page("How leaves work", "[Pre-lecture quiz](https://q.example/quiz/103)"),
    "lessons/1-Plants/03-Leaves/README.es.md": page("Cómo funcionan las hojas", "[Quiz](https://q.example/quiz/103)"),
    "lessons/1-Plants/03-Leaves/README.pt-BR.md": page("Como funcionam as folhas"),
    "lessons/1-Plants/03-Leaves/index.es.md": page("Otra traducción"),  # one file a language: the README wins
    "lessons/1-Plants/03-Leaves/README.es.txt": "Hojas, en texto plano.\n",
    "lessons/1-Plants/04-Roots/README.md": page("Roots"),
    "lessons/1-Plants/04-Roots/quiz.yaml": "- question: Do roots drink water?\n  options: [Yes, No]\n  answer: 0\n",
    "lessons/1-Plants/04-Roots/README.es.md": page("Raíces"),
    "lessons/1-Plants/04-Roots/quiz.es.yaml": "- question: ¿Beben agua las raíces?\n  options: [Sí, No]\n  answer: 0\n",
    "lessons/1-Plants/05-Seeds/README.fr.md": page("Les graines"),  # a lesson in French alone
}


def test_translated_readmes_are_the_same_lesson_in_their_language(tmp_path: Path, embedder):
    from tutor.search.retriever import Filters, Retriever
    from tutor.store.chroma import ChunkStore
    from tutor.store.sync import sync_index

    qa = "etc/quiz-app/src/assets/translations"
    q = ("What do leaves turn light into?", ["Sugar", "Stone"], 0)
    root = write(
        tmp_path / "garden",
        {
            **TRANSLATED,
            f"{qa}/en/lesson-3.json": quiz_app(103, "How leaves work", [q]),
            f"{qa}/es/lesson-3.json": quiz_app(
                103, "Cómo funcionan las hojas", [("¿En qué convierten la luz?", ["Azúcar", "Piedra"], 0)]
            ),
        },
    )
    report = load_lessons(root)
    by_id = {le.id: le for le in report.lessons}
    assert set(by_id) == {
        "1-plants/en/1-plants",
        "1-plants/es/1-plants",
        "1-plants/en/03-leaves",
        "1-plants/es/03-leaves",
        "1-plants/pt-BR/03-leaves",
        "1-plants/en/04-roots",
        "1-plants/es/04-roots",
        "1-plants/fr/05-seeds",
    }
    leaves = by_id["1-plants/es/03-leaves"]
    assert (leaves.title, leaves.path) == ("Cómo funcionan las hojas", "lessons/1-Plants/03-Leaves/README.es.md")
    assert leaves.meta["order"] == by_id["1-plants/en/03-leaves"].meta["order"] == 3.0  # its place in the course
    assert [x.question for x in leaves.quizzes] == ["¿En qué convierten la luz?"]  # the quiz app's Spanish file
    assert [x.question for x in by_id["1-plants/en/03-leaves"].quizzes] == [q[0]]
    assert [x.question for x in by_id["1-plants/es/04-roots"].quizzes] == ["¿Beben agua las raíces?"]
    assert [x.question for x in by_id["1-plants/en/04-roots"].quizzes] == ["Do roots drink water?"]
    assert program_titles(root)["1-plants"] == "Plants"  # the section's title stays its own README's
    left = {x.path: x.reason for x in report.left_out}
    assert set(left) == {
        "README.md",
        "README.es.md",
        "lessons/README.es.md",
        "lessons/1-Plants/03-Leaves/index.es.md",
        "lessons/1-Plants/03-Leaves/README.es.txt",
    }
    assert "README.es.md" in left["lessons/1-Plants/03-Leaves/index.es.md"]
    store = ChunkStore(tmp_path / "idx")
    assert len(sync_index(root, store, embedder).added) == 8
    hits = Retriever(store, embedder).search("hojas", Filters(language="es"), k=3).passages
    assert hits and {h.chunk.lesson_id for h in hits} <= {lid for lid in by_id if "/es/" in lid}
    assert "1-plants/es/03-leaves" in {h.chunk.lesson_id for h in hits}


def test_existing_layouts_keep_their_ids(tmp_path: Path):
    write(tmp_path / "site", {"programs/ai/lessons/en/intro.mdx": page("Intro"), "programs/ai/README.md": "# AI\n"})
    write(tmp_path / "notes", {"plants.md": page("Plants"), "README.md": page("About these notes")})
    assert [le.id for le in load_lessons(tmp_path / "site").lessons] == ["ai/en/intro"]
    flat = load_lessons(tmp_path / "notes")
    assert [le.id for le in flat.lessons] == ["notes/en/plants"]
    assert [x.path for x in flat.left_out] == ["README.md"]


def test_quiz_app_json_by_link_by_folder_number_and_by_title(tmp_path: Path):
    qa = "etc/quiz-app/src/assets/translations"
    q = ("Which line fits best?", ["The one with the least squared error", "The longest one"], 0)
    root = write(
        tmp_path / "course",
        {
            "lessons/1-Lines/README.md": page("Fitting lines", "[Pre-lecture quiz](https://quiz.example/quiz/201)"),
            "lessons/2-Trees/README.md": page("Decision trees"),  # no link: its folder number
            "lessons/2-Ethics/README.md": page("Fairness in models"),  # shares number 2: its title
            f"{qa}/en/lesson-1.json": quiz_app(201, "Lines", [q, q]),
            f"{qa}/en/lesson-2.json": quiz_app(202, "Growing forests", [q]),
            f"{qa}/en/lesson-9.json": quiz_app(209, "Fairness in Models", [q, (q[0], q[1], 5)]),
            f"{qa}/fr/lesson-1.json": quiz_app(201, "Droites", [q]),  # another language: not these lessons'
        },
    )
    report = load_lessons(root)
    counts = {le.slug: len(le.quizzes) for le in report.lessons}
    assert counts == {"1-lines": 2, "2-trees": 0, "2-ethics": 1}  # number 2 is shared: neither gets lesson-2
    ethics = next(le for le in report.lessons if le.slug == "2-ethics")
    assert ethics.quizzes[0].options[ethics.quizzes[0].answer].startswith("The one with")
    assert [w.path for w in report.warnings] == [f"{qa}/en/lesson-9.json"]  # names the file and the field
    assert "isCorrect" in str(report.warnings[0]) and "question 2" in str(report.warnings[0])
    (root / "lessons/2-Ethics").rename(root / "lessons/3-Ethics")
    counts = {le.slug: len(le.quizzes) for le in load_lessons(root).lessons}
    assert counts == {"1-lines": 2, "2-trees": 1, "3-ethics": 1}


QUIZ_YAML = """
- question: Which pigment captures light in leaves?
  options: [Chlorophyll, Haemoglobin, Melanin]
  answer: Chlorophyll
  explanation: Chlorophyll absorbs red and blue light.
- question: Where does photosynthesis happen?
  options: [In the roots, In the chloroplasts]
  answer: 1
- question: A question without its key
  options: [one, two]
"""


def test_quiz_yaml_beside_a_lesson_and_bad_quiz_files_never_lose_the_lesson(tmp_path: Path):
    root = write(
        tmp_path / "biology",
        {
            "plants.mdx": page("Plants"),
            "plants.quiz.yaml": QUIZ_YAML,
            "animals/README.md": page("Animals"),
            "animals/quiz.yaml": "- question: [unclosed\n",
            "fungi.md": page("Fungi"),
            "fungi.quiz.yaml": "questions:\n  - question: Are fungi plants?\n    options: [Yes, No]\n    answer: 7\n",
        },
    )
    report = load_lessons(root)
    by_slug = {le.slug: le for le in report.lessons}
    assert set(by_slug) == {"plants", "animals", "fungi"}
    plants = by_slug["plants"].quizzes
    assert [(q.answer, q.explanation[:11]) for q in plants] == [(0, "Chlorophyll"), (1, "")]
    problems = {w.path: str(w) for w in report.warnings}
    assert set(problems) == {"plants.quiz.yaml", "animals/quiz.yaml", "fungi.quiz.yaml"}
    assert "question 3" in problems["plants.quiz.yaml"] and "'answer'" in problems["plants.quiz.yaml"]
    assert "YAML" in problems["animals/quiz.yaml"] and "'answer'" in problems["fungi.quiz.yaml"]
    before = by_slug["plants"].content_hash
    (root / "plants.quiz.yaml").write_text(QUIZ_YAML.replace("answer: 1", "answer: 0"), encoding="utf-8")
    assert next(le for le in load_lessons(root).lessons if le.slug == "plants").content_hash != before


def test_cli_dry_run_index_and_lessons_with_quiz_counts(tmp_path: Path):
    root = write(
        tmp_path / "course",
        {
            **{k: v for k, v in COURSE.items() if not k.startswith("3-")},
            "2-Regression/1-Tools/quiz.yaml": QUIZ_YAML,
            "quiz-app/en/lesson-10.json": quiz_app(110, "Logistic regression", [("Is it?", ["yes", "no"], 1)]),
            "quiz-app/package.json": "{}",
            "quiz-app/README.md": page("The quiz app"),
        },
    )
    idx = tmp_path / "idx"
    r = run_cli("index", "--lessons", str(root), "--index", str(idx), "--dry-run")
    assert r.returncode == 0, r.stderr
    assert "take   2-regression/en/1-tools  <- 2-Regression/1-Tools/README.md" in r.stdout
    assert "leave  LICENSE.md:" in r.stdout and "leave  quiz-app/:" in r.stdout  # an app's folder
    assert not idx.exists()  # a dry run touches no index
    r = run_cli("index", "--lessons", str(root), "--index", str(idx), "--strict")
    assert r.returncode == 1 and "quiz.yaml" in r.stderr  # the key-less question is a warning
    assert "7 added" in r.stdout and "note: left out" in r.stdout and "README.md" in r.stdout  # 7th: README.es
    r = run_cli("lessons", "--index", str(idx), "--json")
    quizzes = {row["lesson_id"]: row["quizzes"] for row in map(json.loads, r.stdout.splitlines())}
    assert quizzes["2-regression/en/1-tools"] == 2 and quizzes["2-regression/en/10-logistic"] == 1
    assert quizzes["2-regression/es/1-tools"] == 0  # the English quiz.yaml is not the Spanish lesson's


def test_a_run_that_takes_in_little_says_so_and_strict_fails(tmp_path: Path):
    root = write(tmp_path / "repo", {"README.md": page("Read me"), "LICENSE.md": page("License")})
    r = run_cli("index", "--lessons", str(root), "--index", str(tmp_path / "idx"), "--dry-run", "--strict")
    assert r.returncode == 1 and "none of them was taken in" in r.stderr and "--dry-run" in r.stderr
    write(root, {"notes/one.md": page("One")})
    report = load_lessons(root)
    assert [le.id for le in report.lessons] == ["repo/en/notes/one"]
    assert "2 of them were left out" in str(report.warnings[0]) and "repository" in str(report.warnings[0])
    r = run_cli("index", "--lessons", str(root), "--index", str(tmp_path / "idx"), "--strict")
    assert r.returncode == 1 and "left out" in r.stderr, r.stderr
    r = run_cli("index", "--lessons", str(root), "--index", str(tmp_path / "idx"))
    assert r.returncode == 0 and "warning:" in r.stderr  # said, without --strict too


def test_lesson_files_outside_the_lessons_folders_are_counted_and_named(tmp_path: Path, embedder):
    from tutor.store.chroma import ChunkStore
    from tutor.store.sync import sync_index

    topics = ["Cells", "Leaves", "Roots", "Seeds"]
    root = write(tmp_path / "course", {f"programs/bio/lessons/en/{t.lower()}.mdx": page(t) for t in topics})
    write(root, {"programs/bio/README.md": page("Biology")})  # a program's own README: counted, no warning
    write(root, {f"extra/topic-{i:03}.mdx": page(f"Extra topic {i}") for i in range(3)})  # under half: no rule
    store = ChunkStore(tmp_path / "idx")
    first = sync_index(root, store, embedder)
    assert len(first.added) == 4
    assert "4 lesson-like files left out (3 outside the course's lessons/ folders; 1 a folder's README" in first.line()
    [warning] = first.warnings
    assert "extra/topic-000.mdx, extra/topic-001.mdx, extra/topic-002.mdx" in str(warning)
    assert "move them" in str(warning)
    write(root, {f"extra/topic-{i:03}.mdx": page(f"Extra topic {i}") for i in range(3, 300)})  # the probe's 300
    again = sync_index(root, store, embedder)
    assert again.unchanged == 4 and not again.added  # nothing new taken in, and it says why
    assert "301 lesson-like files left out" in again.line()
    [warning] = again.warnings  # one warning, not a second "most files were left out" for the same files
    assert "300 lesson-like files" in str(warning) and "and 297 more" in str(warning)
    r = run_cli("index", "--lessons", str(root), "--index", str(tmp_path / "idx"), "--strict")
    assert r.returncode == 1 and "301 lesson-like files left out" in r.stdout and "extra/topic-000.mdx" in r.stderr
