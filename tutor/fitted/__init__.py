"""Fitted weights: the key-sentence scorer and the evidence gate, as shipped in weights.json.

Both are logistic models over named features (tutor/answer/features.py, tutor/search/gate.py): features are
standardised with the mean and scale of the rows they were fitted on, then weighted. bench/fit.py fits them
on labelled questions of three courses and writes weights.json with the embedding model they were fitted
for; this module only reads it (numpy, no scikit-learn at run time).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

WEIGHTS = Path(__file__).with_name("weights.json")
# an embedding model with weights of its own (fitted on its cosines by bench/fit.py), by its family's name
OWN_WEIGHTS = {"multilingual-e5-small": "weights-e5.json"}


def weights_for(embedder: str) -> Path:
    """The weights fitted for `embedder` (its name, e.g. "multilingual-e5-small:e5q4c"): its own file when it
    has one, else weights.json (all-MiniLM-L6-v2's)."""
    own = WEIGHTS.with_name(OWN_WEIGHTS.get(embedder.split(":")[0], WEIGHTS.name))
    return own if own.exists() else WEIGHTS


@dataclass(frozen=True)
class Linear:
    """logit = ((x - mean) / scale) . coef + intercept, over features named `names`."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float = 0.5  # the gate: a probability; it answers at or above it
    gap: float = 0.0  # the picker: a further sentence joins when its logit is within this of the best one's

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Linear:
        names = tuple(d["names"])
        mean, scale, coef = (np.asarray(d[k], dtype=np.float64) for k in ("mean", "scale", "coef"))
        if any(a.shape != (len(names),) for a in (mean, scale, coef)):
            raise ValueError(f"{WEIGHTS.name}: mean, scale and coef need one number per feature ({len(names)})")
        threshold, gap = float(d.get("threshold", 0.5)), float(d.get("gap", 0.0))
        return cls(names, mean, scale, coef, float(d["intercept"]), threshold, gap)

    def to_dict(self) -> dict[str, Any]:
        return {
            "names": list(self.names),
            "mean": [round(float(x), 6) for x in self.mean],
            "scale": [round(float(x), 6) for x in self.scale],
            "coef": [round(float(x), 6) for x in self.coef],
            "intercept": round(self.intercept, 6),
            "threshold": round(self.threshold, 6),
            "gap": round(self.gap, 6),
        }

    def aligned(self, names: tuple[str, ...]) -> Linear:
        """The same model over the features `names` (in that order); a feature it was not fitted with weighs 0.
        A fitted feature missing from `names` is an error: the code and the weights disagree."""
        missing = [n for n in self.names if n not in names]
        if missing:
            raise ValueError(f"{WEIGHTS.name} weighs features the code does not compute: {missing}; run bench/fit.py")
        at = {n: i for i, n in enumerate(self.names)}
        pick = [at.get(n) for n in names]

        def take(a: np.ndarray, fill: float) -> np.ndarray:
            return np.asarray([a[i] if i is not None else fill for i in pick], dtype=np.float64)

        return Linear(
            names,
            take(self.mean, 0.0),
            take(self.scale, 1.0),
            take(self.coef, 0.0),
            self.intercept,
            self.threshold,
            self.gap,
        )

    def logit(self, x: np.ndarray) -> np.ndarray:
        return (np.asarray(x, dtype=np.float64) - self.mean) / self.scale @ self.coef + self.intercept

    def probability(self, x: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logit(x)))


@dataclass(frozen=True)
class Fitted:
    embedder: str  # the embedding model the cosines came from
    picker: Linear
    gate: Linear | None  # None: the gate's rules (tutor/search/gate.py) decide
    about: str = ""
    # per course: the figures these weights give on it when fitted on the other courses (bench/fit.py)
    left_out: dict[str, dict[str, float]] = field(default_factory=dict)


@functools.cache
def load(path: Path = WEIGHTS) -> Fitted:
    d = json.loads(path.read_text(encoding="utf-8"))
    gate = Linear.from_dict(d["gate"]) if d.get("gate") else None
    return Fitted(d["embedder"], Linear.from_dict(d["picker"]), gate, d.get("about", ""), d.get("left_out", {}))


def describe(embedder: str, path: Path = WEIGHTS) -> str:
    """One line on the weights in use, for `tutor eval` and the teacher page: what they were fitted on and
    whether for the embedding model that runs (`embedder`: its family, e.g. "...all-MiniLM-L6-v2:f32")."""
    path = path if path != WEIGHTS else weights_for(embedder)
    f = load(path)
    gate = f"gate threshold {f.gate.threshold:.3f}" if f.gate else "gate from rules (tutor/search/gate.py)"
    same = f.embedder.split(":")[0] == embedder.split(":")[0]
    fit_for = (
        "fitted for this embedding model" if same else f"fitted for {f.embedder}, not {embedder}: run bench/fit.py"
    )
    figures = ", ".join(
        f"{name} first key {v['first_key']:.2f}, off-topic refused {v['off_refused']:.2f}"
        for name, v in f.left_out.items()
    )
    left_out = f"; each course left out: {figures}" if figures else ""
    return f"{f.about or path.name}; {gate}; {fit_for}{left_out}"
