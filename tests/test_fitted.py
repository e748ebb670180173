"""The shipped weights (tutor/fitted/weights.json) match the features the code computes, and the labelled
questions they are fitted on (bench/data/labels/) quote their lessons."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bench import labels
from tutor import fitted
from tutor.answer import features
from tutor.fitted import Linear
from tutor.search import gate


@pytest.mark.parametrize("path", [fitted.WEIGHTS, *(fitted.WEIGHTS.with_name(n) for n in fitted.OWN_WEIGHTS.values())])
def test_every_model_in_the_weights_file_reads_features_the_code_computes(path):
    raw = json.loads(path.read_text(encoding="utf-8"))
    for key in ("picker", "picker_fitted"):
        Linear.from_dict(raw[key]).aligned(features.NAMES)  # raises when a weighed feature is gone
    for key in ("gate", "gate_fitted"):
        if raw.get(key):
            Linear.from_dict(raw[key]).aligned(gate.FEATURES)
    assert len(gate.row(0.4, 0.5, 0.5, False, 0.5, 1, 3)) == len(gate.FEATURES)


def test_a_linear_model_standardises_weighs_and_names_its_features():
    m = Linear(("a", "b"), np.array([1.0, 0.0]), np.array([2.0, 1.0]), np.array([1.0, -1.0]), 0.5)
    assert m.logit(np.array([[3.0, 1.0]]))[0] == pytest.approx((3 - 1) / 2 - 1 + 0.5)
    wider = m.aligned(("b", "c", "a"))  # a feature it was not fitted with weighs nothing
    assert wider.logit(np.array([[1.0, 123.0, 3.0]]))[0] == pytest.approx(m.logit(np.array([[3.0, 1.0]]))[0])
    with pytest.raises(ValueError, match="a"):
        m.aligned(("b",))


def test_the_weights_name_the_embedder_they_were_fitted_for():
    own = fitted.load().embedder
    assert "fitted for this embedding model" in fitted.describe(own)
    assert "run bench/fit.py" in fitted.describe("another-model:f32")


def test_the_project_courses_labels_quote_its_lessons():
    course = labels.load("corpus")
    assert len(course.learner) >= 80 and len(course.off_topic) >= 80
    assert labels.problems(course) == []


def test_an_embedder_with_weights_of_its_own_is_read_with_them():
    for family, name in fitted.OWN_WEIGHTS.items():
        own = fitted.weights_for(f"{family}:any")
        assert own.name == name and fitted.load(own).embedder.split(":")[0] == family  # fitted on its cosines
        assert "fitted for this embedding model" in fitted.describe(f"{family}:any")
    assert fitted.weights_for(fitted.load().embedder) == fitted.WEIGHTS  # all-MiniLM-L6-v2's
