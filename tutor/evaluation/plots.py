"""Evaluation plots (matplotlib PNG): the only module that imports matplotlib."""

from __future__ import annotations

from pathlib import Path


def _pyplot():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def recall_curve(recall: dict[int, float], path: Path, title: str) -> Path:
    plt = _pyplot()
    ks = sorted(recall)
    fig, ax = plt.subplots(figsize=(5, 3.2), dpi=120)
    ax.plot(ks, [recall[k] for k in ks], marker="o")
    ax.set(xlabel="k (lessons)", ylabel="lesson recall@k", ylim=(0, 1.02), title=title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def latency_histogram(series: dict[str, list[float]], path: Path, title: str) -> Path:
    """One histogram per named series of milliseconds."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(5, 3.2), dpi=120)
    for name, values in series.items():
        if values:
            ax.hist(values, bins=20, alpha=0.6, label=name)
    ax.set(xlabel="milliseconds", ylabel="questions", title=title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def correctness_bars(c: dict[str, float], path: Path) -> Path:
    """Share of quiz questions whose closest option is the key, per part of the answer, with chance and
    the ceiling (the authored explanation) as references."""
    plt = _pyplot()
    names = ["chance", "model text", "key sentences", "whole answer", "authored explanation\n(ceiling)"]
    values = [
        c["chance"],
        c["right_model_text"],
        c["right_key_sentences"],
        c["right_whole_answer"],
        c["right_authored_explanation"],
    ]
    fig, ax = plt.subplots(figsize=(6, 3.2), dpi=120)
    ax.bar(names, values, color=["#afb8c1", "#d4a72c", "#8250df", "#2da44e", "#57606a"])
    for i, v in enumerate(values):
        ax.text(i, v + 0.02, f"{v:.2f}", ha="center", fontsize=8)
    ax.set(ylabel="closest option is the key", ylim=(0, 1.05), title="Answer correctness on quiz questions")
    ax.tick_params(axis="x", labelsize=7)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
