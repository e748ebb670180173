"""Lesson formats beyond Markdown: saved web pages, plain text (a rendered page saved as text), PDF, notebooks,
and HTML and images inside Markdown.

Every file is written here under tmp_path (the PDF with fpdf2, the notebook as nbformat 4 JSON); the loader and
`tutor index` / `tutor search` are the real ones.
"""

from __future__ import annotations

import json
from pathlib import Path

from fpdf import FPDF

from tests.conftest import run_cli
from tutor.ingest.lessons import load_lessons
from tutor.ingest.mdx import parse_lesson

SAVED_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Gradient Descent | ML Basics | OpenCourse</title></head>
<body>
<header><a href="/">OpenCourse</a>
<nav><ul><li><a href="/courses">All Courses</a></li><li><a href="/paths">Learning Paths</a></li></ul></nav>
<div class="account"><a href="/login">Sign in</a> <a href="/signup">Create a free account</a></div></header>
<aside class="sidebar"><h3>ML Basics</h3><ol><li><a href="/ml/1">What is Machine Learning</a></li>
<li><a href="/ml/4">Overfitting and Regularisation</a></li></ol></aside>
<main><nav class="breadcrumb"><a href="/">Home</a> › <a href="/ml">ML Basics</a> › Gradient Descent</nav>
<article>
<h1>Gradient Descent</h1>
<p>Gradient descent is the algorithm that trains almost every neural network. It adjusts the model's
parameters a little at a time so that the loss goes down.</p>
<h2>The learning rate</h2>
<p>The learning rate sets the size of each step. A rate that is too large overshoots the valley and the loss
jumps around; a rate that is too small makes training painfully slow.</p>
<ul><li>Start with a rate such as 0.001 for the Adam optimiser.</li><li>Lower the rate when the loss stops
improving.</li></ul>
<figure><img src="descent.png" alt="A ball rolling down a curved loss surface"></figure>
<h2>Variants</h2>
<table><tr><th>Variant</th><th>Examples per step</th></tr><tr><td>Stochastic gradient descent</td>
<td>One example</td></tr><tr><td>Mini-batch gradient descent</td><td>A few dozen examples</td></tr></table>
<p>Mini-batch gradient descent is the usual choice because it balances a stable direction with fast updates.</p>
</article>
<div class="edit-box"><a href="https://example.org/edit/3.md">Suggest an edit to this page</a></div>
<nav class="pager"><a href="/ml/2">Previous: Linear Regression</a></nav>
<section class="comments"><h3>Discussion</h3><p>Sign in to join the discussion and ask a question.</p></section>
</main>
<footer><ul><li><a href="/about">About us</a></li><li><a href="/privacy">Privacy Policy</a></li></ul>
<p>Copyright 2024 OpenCourse Inc. All rights reserved.</p></footer>
</body></html>
"""
SITE_TEXT = ["All Courses", "Learning Paths", "Sign in", "Overfitting", "Suggest an edit", "Previous:", "Discussion"]
SITE_TEXT += ["About us", "Privacy Policy", "All rights reserved", "Home"]

RENDERED_PAGE = """PlantSchoolPlantSchool
🌱
Seedlings

Start from scratch

🌳
Trees

Go deeper

🧪Greenhouse Lab🌻Flower Quiz🍄Fungus Finder💧Watering Planner
Ver Todos los Programas→

Comunidad

  • GitHub
  • Contribuir
  • Invítame a un Café ☕
Programs›🌳 Trees›Lessons›Photosynthesis
⏱️ 10 min read

How Plants Make Food

Plants turn light, water and carbon dioxide into sugar in a process called photosynthesis. This lesson follows the light from the leaf to the sugar.

Where It Happens

Photosynthesis takes place in the chloroplasts, small green bodies inside the cells of a leaf. Each chloroplast holds chlorophyll, the pigment that absorbs red and blue light.

The steps in order:

  1. Light is absorbed by chlorophyll in the chloroplast.
  2. Water is split, and oxygen is released into the air.
Lesson 1 of 3 · 0% complete
←Back to the program

Discussion

Sign in to join the discussion

Suggest an edit to this lesson
  • Carbon dioxide is fixed into sugar in the Calvin cycle.

    🧠Quick Check

    What gas do plants release during photosynthesis?

    Why Leaves Are Green

    Chlorophyll reflects green light instead of absorbing it, so the light that reaches our eyes from a leaf is mostly green. In autumn the chlorophyll breaks down and the other pigments show.

    🧠Quick Check

    Why are most leaves green?
"""
MENU_TEXT = ["Seedlings", "Greenhouse Lab", "Invítame", "Contribuir", "Back to the program", "Sign in", "Discussion"]
MENU_TEXT += ["Suggest an edit", "Quick Check", "What gas do plants release", "Lesson 1 of 3", "Programs›"]


def _text(blocks) -> str:
    return "\n".join(b.text for b in blocks)


def test_saved_web_page_keeps_the_lesson_and_drops_the_site(tmp_path: Path):
    root = tmp_path / "course"
    root.mkdir()
    (root / "gradient-descent.html").write_text(SAVED_PAGE, encoding="utf-8")
    (le,) = load_lessons(root).lessons
    assert le.title == "Gradient Descent" and le.slug == "gradient-descent"
    text = _text(le.blocks)
    assert "Gradient descent is the algorithm" in text and "Lower the rate when the loss stops" in text
    assert "Image: A ball rolling down a curved loss surface." in text  # the image's alt text is kept
    assert "Mini-batch gradient descent | A few dozen examples" in text  # a table row reads as one
    assert [b.text for b in le.blocks if b.kind == "heading"] == ["Gradient Descent", "The learning rate", "Variants"]
    assert not [s for s in SITE_TEXT if s in text]
    assert "<" not in text


FIGURES_PAGE = """<!doctype html><html><head><title>Soil Layers | Garden School</title></head><body>
<header><nav><a href="/">Home</a> <a href="/courses">All Courses</a> <a href="/login">Sign in</a></nav></header>
<main><article><h1>Soil Layers</h1>
<p>Soil is not one uniform material. Dig a deep hole in an old meadow and the wall of the hole shows bands of
different colour, each with its own texture and life.</p>
<figure><img src="horizons.png" alt="A cut through the ground showing dark topsoil over pale subsoil">
<figcaption>Figure 1. The O, A, B and C horizons of a meadow soil.</figcaption></figure>
<h2>Topsoil</h2>
<p>The top layer holds most of the organic matter and most of the roots. Earthworms mix fallen leaves into it,
which is why it is darker than the layers below.</p>
<figure class="diagram"><img src="worm.png"><figcaption>An earthworm pulls a leaf into its burrow at
night.</figcaption></figure>
<figure><svg width="10" height="10"><circle r="4"/></svg><figcaption>How deep <em>roots</em> reach in clay and
in sand.</figcaption></figure>
<h2>Subsoil</h2>
<p>Below the topsoil lies the subsoil, paler and denser, where minerals washed down from above collect.</p>
<figure><img src="rock.png" alt="Cracked bedrock"><figcaption>Cracked bedrock</figcaption></figure>
</article></main>
<footer><p>Copyright Garden School. Suggest an edit. Privacy Policy.</p></footer></body></html>
"""


def test_figure_captions_of_a_saved_page_are_kept_as_image_descriptions(tmp_path: Path):
    """trafilatura drops every <figcaption> whatever its options (default, favor_recall, favor_precision, fast,
    with images or without: 0 of this page's 3 captions that say more than their alt text); they are joined to
    their image's description, or kept as text where the figure has no image."""
    root = tmp_path / "course"
    root.mkdir()
    (root / "soil-layers.html").write_text(FIGURES_PAGE, encoding="utf-8")
    (le,) = load_lessons(root).lessons
    images = [b.text for b in le.blocks if b.kind == "illustration"]
    assert images == [
        "Image: A cut through the ground showing dark topsoil over pale subsoil. Figure 1. The O, A, B and C "
        "horizons of a meadow soil.",
        "Image: An earthworm pulls a leaf into its burrow at night.",  # no alt text: the caption describes it
        "Image: Cracked bedrock.",  # a caption that repeats the alt text is not said twice
    ]
    text = _text(le.blocks)
    assert "How deep roots reach in clay and in sand." in text  # a caption without an image stays as text
    assert "minerals washed down from above collect" in text and "Earthworms mix fallen leaves" in text
    assert not [s for s in ("All Courses", "Sign in", "Suggest an edit", "Privacy Policy") if s in text]


def test_rendered_page_saved_as_text_drops_the_site_chrome(tmp_path: Path):
    root = tmp_path / "course"
    root.mkdir()
    (root / "photosynthesis.txt").write_text(RENDERED_PAGE, encoding="utf-8")
    (le,) = load_lessons(root).lessons
    assert le.title == "How Plants Make Food"
    headings = [b.text for b in le.blocks if b.kind == "heading"]
    assert headings == ["How Plants Make Food", "Where It Happens", "Why Leaves Are Green"]
    text = _text(le.blocks)
    assert "Each chloroplast holds chlorophyll" in text and "In autumn the chlorophyll breaks down" in text
    # the list goes on after the site's box that interrupts it
    assert "2. Water is split, and oxygen is released into the air.\n- Carbon dioxide is fixed" in text
    assert not [s for s in MENU_TEXT if s in text], text
    for b in le.blocks:  # spans point into the file as written
        if b.kind != "heading":
            assert b.text.split()[-1].rstrip(".") in le.source[b.start : b.end]


def test_lines_shared_by_several_saved_pages_are_left_out(tmp_path: Path):
    footer = "Every lesson on this site is free to read, share and adapt under the MIT licence.\n"
    root = tmp_path / "site"
    root.mkdir()
    for name, topic in [
        ("roots", "Roots hold the plant in the ground and take up water"),
        ("stems", "Stems carry water up"),
    ]:
        page = f"{name.capitalize()} And Their Work\n\n{topic} from the soil to the leaves, day and night.\n\n{footer}"
        (root / f"{name}.txt").write_text(page, encoding="utf-8")
    lessons = load_lessons(root).lessons
    assert len(lessons) == 2
    for le in lessons:
        assert "MIT licence" not in _text(le.blocks) and "from the soil" in _text(le.blocks)
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "roots.txt").write_text((root / "roots.txt").read_text(encoding="utf-8"), encoding="utf-8")
    (le,) = load_lessons(alone).lessons
    assert "MIT licence" in _text(le.blocks)  # one page alone shares nothing with its site


def _handout(path: Path) -> None:
    pdf = FPDF()
    para = (
        "Gradient descent adjusts the parameters of a model a little at a time so that the loss goes down, "
        "step after step, until the error on the validation data stops improving. "
    )
    for page, (heading, body) in enumerate(
        [("The Idea", para * 3), ("The Learning Rate", "The learning rate sets how large each step is. " * 12)], 1
    ):
        pdf.add_page()
        pdf.set_auto_page_break(True, 20)
        if page == 1:
            pdf.set_font("Helvetica", "B", 20)
            pdf.cell(0, 12, "Gradient Descent Handout", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(0, 10, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 6, body, new_x="LMARGIN", new_y="NEXT")
        pdf.set_auto_page_break(False)  # the footer sits in the bottom margin
        pdf.set_y(-15)
        pdf.set_font("Helvetica", "I", 8)
        pdf.cell(0, 10, "ML Basics course handout", align="C")
    pdf.output(str(path))


def _notebook(path: Path) -> None:
    cells = [
        {
            "cell_type": "markdown",
            "metadata": {},
            "source": [
                "# Training a Perceptron\n",
                "\n",
                "A perceptron learns a line that separates two classes by nudging its weights after every mistake.\n",
            ],
        },
        {
            "cell_type": "code",
            "metadata": {},
            "execution_count": 1,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": ["OUTPUT-NOT-READ\n"]}],
            "source": ["w = w + lr * (y - y_hat) * x\n", "print(w)"],
        },
        {
            "cell_type": "markdown",
            "metadata": {},
            "source": "## Why It Converges\n\nWhen the classes can be separated "
            "by a line, the perceptron stops making mistakes after a finite number of updates.",
        },
    ]
    nb = {
        "cells": cells,
        "metadata": {"kernelspec": {"language": "python", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(nb), encoding="utf-8")


def test_pdf_pages_are_each_passages_place(tmp_path: Path):
    root = tmp_path / "course"
    root.mkdir()
    _handout(root / "handout.pdf")
    (le,) = load_lessons(root).lessons
    assert le.title == "Gradient Descent Handout"
    headings = [(b.level, b.text) for b in le.blocks if b.kind == "heading"]
    assert (2, "The Idea") in headings and (2, "The Learning Rate") in headings
    assert (6, "Page 1") in headings and (6, "Page 2") in headings
    text = _text(le.blocks)
    assert "until the error on the validation data stops improving" in text  # wrapped lines read whole
    assert "course handout" not in text  # the running footer, on every page


def test_notebook_markdown_as_text_code_as_code(tmp_path: Path):
    root = tmp_path / "course"
    root.mkdir()
    _notebook(root / "perceptron.ipynb")
    (le,) = load_lessons(root).lessons
    assert le.title == "Training a Perceptron"
    kinds = [(b.kind, b.text.splitlines()[0]) for b in le.blocks]
    assert ("code", "```python") in kinds and ("heading", "Why It Converges") in kinds
    assert "OUTPUT-NOT-READ" not in le.source


def test_html_and_images_inside_markdown_read_as_text():
    md = """# Neurons

A line<br>break, a <a href="https://example.org">link</a>, 10<sup>9</sup> weights and AT&amp;T; `<br>` stays.

![A neuron with three inputs](images/neuron.png)

<p align="center">
  <img src="images/net.png" alt="A network with two hidden layers" width="300"/>
</p>

<details>
<summary>Show the answer</summary>

The weights change after every example.

</details>

<table>
<tr><th>Model</th><th>Year</th></tr>
<tr><td>Perceptron</td><td>1958</td></tr>
</table>

<h2 align="center">Learning <em>rules</em></h2>

A List<String> and a < b stay as written.
"""
    _, blocks, _ = parse_lesson(md, "neurons.md")
    text = _text(blocks)
    assert "A line\nbreak, a link, 10^9 weights and AT&T; `<br>` stays." in text
    images = [b.text for b in blocks if b.kind == "illustration"]
    assert images == ["Image: A neuron with three inputs.", "Image: A network with two hidden layers."]
    assert "Show the answer" in text and "The weights change" in text
    assert "| Model | Year |\n| Perceptron | 1958 |" in text
    assert ("heading", "Learning rules") in [(b.kind, b.text) for b in blocks]
    assert "A List<String> and a < b stay as written." in text
    for tag in ("<br>", "<a ", "<sup>", "<details>", "<summary>", "<table>", "<td>", "<img", "<p ", "</"):
        assert tag not in text.replace("`<br>`", "")


def test_every_format_indexed_and_searched(tmp_path: Path):
    root = tmp_path / "course"
    root.mkdir()
    (root / "gradient-descent.html").write_text(SAVED_PAGE, encoding="utf-8")
    (root / "photosynthesis.txt").write_text(RENDERED_PAGE, encoding="utf-8")
    (root / "requirements.txt").write_text("numpy\npandas\n", encoding="utf-8")
    _handout(root / "handout.pdf")
    _notebook(root / "perceptron.ipynb")
    idx = tmp_path / "idx"
    r = run_cli("index", "--lessons", str(root), "--index", str(idx), "--strict")
    assert r.returncode == 0, r.stderr
    assert "4 added" in r.stdout and "requirements.txt" in r.stdout  # left out, and said so

    def search(q: str) -> list[dict]:
        r = run_cli("search", "--index-dir", str(idx), "--json", "-k", "8", q)
        assert r.returncode == 0, r.stderr
        return json.loads(r.stdout.splitlines()[0])["passages"]

    top = search("How large is each step of the learning rate in the handout?")
    pdf = [p for p in top if p["path"] == "handout.pdf"]
    assert pdf and pdf[0]["breadcrumb"].endswith("Page 2") and pdf[0]["anchor"] == "page-2"
    assert search("Where does photosynthesis take place?")[0]["breadcrumb"] == "How Plants Make Food > Where It Happens"
    assert search("How does a perceptron update its weights?")[0]["path"] == "perceptron.ipynb"
    every = [
        p["text"] for q in ("Sign in discussion", "Greenhouse Lab Fungus Finder", "Privacy Policy") for p in search(q)
    ]
    assert not [s for s in SITE_TEXT + MENU_TEXT for t in every if s in t]
