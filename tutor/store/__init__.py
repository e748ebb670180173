"""Where chunks live: the Chroma adapter and the manifest that says which lesson versions are live."""
