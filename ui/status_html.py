"""The teacher's status HTML: the model and index line, what a re-index changed, and the last re-index after a
save. Pure functions from the core's values to HTML; lesson ids, warnings and file names are escaped here."""

from __future__ import annotations

import time
from collections.abc import Sequence

from tutor.store.manifest import Manifest
from tutor.store.sync import SyncSummary
from tutor.watch import WatchReport
from ui.render import esc


def status_html(
    model: str,
    gpu_offload: bool | None,
    m: Manifest | None,
    now: float | None = None,
    *,
    embedding: str = "",
    embedder: str = "",
    checked_at: float = 0.0,
) -> str:
    """The teacher's status line: model, GPU, embedding backend (`embedding`), index; a warning when the index
    holds other vectors than this process's embedder (`embedder`) makes. `checked_at`: when a re-index last
    compared the lessons with the index (a re-index that changed nothing leaves "last indexed" as it was)."""
    gpu = "unknown" if gpu_offload is None else "yes" if gpu_offload else "no (CPU)"
    if m is None or not m.collection:
        index = '<span class="error">no index yet: press "Re-index lessons"</span>'
    else:
        chunks = sum(e.chunks for e in m.lessons.values())
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(m.indexed_at)) if m.indexed_at else "never"
        ago = _ago(m.indexed_at, now)
        n = len(m.lessons)
        index = f"{n} lesson{'' if n == 1 else 's'}, {chunks} chunks &middot; last indexed {when}{ago}"
        if checked_at > m.indexed_at + 1:
            checked = time.strftime("%Y-%m-%d %H:%M", time.localtime(checked_at))
            index += f" &middot; lessons checked {checked}{_ago(checked_at, now)}: no change since"
    backend = f"<br>Embedding: {esc(embedding)}" if embedding else ""
    if m is not None and m.collection and embedder and m.embedder != embedder:
        backend += (
            f'<br><span class="warn">The index holds {esc(m.embedder)} vectors; this process embeds questions as '
            f'{esc(embedder)}. Answers may differ: press "Re-index lessons" to rebuild.</span>'
        )
    return (
        f'<div class="panel status">Model <code>{esc(model)}</code> &middot; GPU offload: {gpu} &middot; '
        f"{index}{backend}</div>"
    )


def _ago(t: float, now: float | None) -> str:
    if not t:
        return ""
    minutes = int(((now or time.time()) - t) // 60)
    return " (just now)" if minutes < 1 else f" ({minutes} min ago)" if minutes < 120 else ""


def sync_html(s: SyncSummary) -> str:
    parts = [f"<p><strong>{esc(s.line())}</strong></p>"]
    if s.rebuilt:
        parts.append(f'<p class="warn">{esc(s.rebuilt)}</p>')
    groups = [("Added", s.added), ("Updated", s.updated), ("Removed", s.removed), ("Moved", s.moved)]
    parts += _changes([*groups, ("Unreadable, previous version kept", s.kept)], s.warnings)
    return f'<div class="panel sync">{"".join(parts)}</div>'


def _changes(groups: list[tuple[str, list[str]]], warnings: Sequence[object]) -> list[str]:
    """A list of lesson ids under each label that has any, then the warnings: what a re-index changed."""
    parts = [f"<h4>{label}</h4><ul>{''.join(f'<li>{esc(i)}</li>' for i in ids)}</ul>" for label, ids in groups if ids]
    if warnings:
        items = "".join(f"<li>{esc(w)}</li>" for w in warnings)
        parts.append(f'<div class="warn"><strong>Warnings</strong><ul>{items}</ul></div>')
    return parts


def watch_html(report: WatchReport | None, watching: str | None, now: float | None = None) -> str:
    """The last re-index after a save (`tutor serve --watch`): when, the files saved, the lessons it added,
    updated or removed, and a failed one's error. `watching`: the folder watched now (None: not watching)."""
    head = f"Watching <code>{esc(watching)}</code> for saves. " if watching else ""
    if report is None:
        return f'<p class="muted">{head}No lesson changed since watching began.</p>' if watching else ""
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(report.at)) + _ago(report.at, now)
    kind = ' class="error"' if report.error else ""
    parts = [f"<p>{head}</p>" if head else "", f"<p{kind}><strong>Last re-index after a save, {esc(when)}:</strong> "
             f"{esc(report.line())}</p>"]  # fmt: skip
    if report.files:
        more = f" and {len(report.files) - 5} more" if len(report.files) > 5 else ""
        parts.append(f"<p>Saved: {esc(', '.join(report.files[:5]))}{more}</p>")
    groups = [("Added", report.added), ("Updated", report.updated), ("Removed", report.removed)]
    parts += _changes([*groups, ("Unreadable, previous version kept", report.kept)], report.warnings)
    return f'<div class="panel sync watch">{"".join(parts)}</div>'
