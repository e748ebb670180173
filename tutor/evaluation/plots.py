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
