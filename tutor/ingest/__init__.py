"""Files -> lessons -> chunks -> index: reading MDX lessons, chunking them, keeping the index in step."""
