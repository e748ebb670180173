"""Finding the passages that answer a question: keyword and dense rankings, fused, filtered, gated."""
