"""`tutor index --check`: the index's health, as a list of problems, each saying what to do.

The manifest against the collection's rows, collections left by killed runs, and whether the vector index
(HNSW) finds a stored chunk. Works the same on an embedded index and on a Chroma server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tutor.store.chroma import ChunkStore


def check(store: ChunkStore) -> list[str]:
    """Problems of the index `store` reads (empty: healthy)."""
    m = store.home.read()
    where = store.home.where
    if m is None or not m.collection:
        return [f"no manifest for {where}: run `tutor index`"]
    problems: list[str] = []
    names = store.collection_names()
    orphans = [n for n in names if n.startswith(store.collection_prefix) and n != m.collection]
    if orphans:
        names_ = ", ".join(orphans)
        problems.append(f"{len(orphans)} orphaned collection(s) {names_}: the next `tutor index` removes them")
    if m.collection not in names:
        return [*problems, f"the manifest's collection {m.collection} is missing: run `tutor index --rebuild`"]
    if m.dirty:
        problems.append("an index run was interrupted: the next `tutor index` finishes the repair")
    try:
        col = store.existing(m.collection)
        got = store.read_all(col, ["metadatas"])
        rows: dict[str, int] = {}
        stray = 0
        for md in got["metadatas"]:
            if (md["lesson_id"], md["lesson_hash"]) in m.live:
                rows[md["lesson_id"]] = rows.get(md["lesson_id"], 0) + 1
            else:
                stray += 1
        wrong = [lid for lid, e in m.lessons.items() if rows.get(lid, 0) != e.chunks]
        if wrong:
            problems.append(
                f"{len(wrong)} lesson(s) have other chunk counts than the manifest says, e.g. "
                f"{wrong[0]}: run `tutor index --rebuild`"
            )
        if stray:
            problems.append(f"{stray} chunk(s) belong to no live lesson version: `tutor index` removes them")
        if got["ids"]:
            probe = col.get(ids=got["ids"][:1], include=["embeddings"])["embeddings"][0]
            hits = col.query(query_embeddings=[list(probe)], n_results=min(10, len(got["ids"])))["ids"][0]
            if got["ids"][0] not in hits:
                problems.append("the vector index (HNSW) does not find a stored chunk: run `tutor index --rebuild`")
    except Exception as exc:
        problems.append(f"Chroma cannot read the collection ({exc}): run `tutor index --rebuild`")
    return problems
