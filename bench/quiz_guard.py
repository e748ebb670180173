"""Where the chat's quiz guard draws its line, on the bundled course: for reworded quiz questions (should be
caught) and ordinary questions about the same lessons (should pass), the best cosine to a quiz question and
the shared content words, and what the guard decides; then whether each quiz question of the index is caught
as itself. Usage: python bench/quiz_guard.py [INDEX_DIR] (the rewordings are of corpus/'s quizzes; default
.tutor/index)."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

from tutor.build import build_quiz_guard, build_tutor  # noqa: E402
from tutor.learn import guard as g  # noqa: E402
from tutor.settings import Settings  # noqa: E402

REWORDED = [  # each a quiz question of corpus/ in other words
    "how can I tell whether my model overfits?",
    "what's an embedding exactly?",
    "what does a cosine similarity near 0 between two embeddings mean?",
    "what is the bias for in an artificial neuron?",
    "why do neural nets need activation functions?",
    "what goes wrong when the learning rate is far too high?",
    "what's the difference between zero-shot and few-shot prompts?",
    "what is a system prompt for in a chat app?",
    "why do RAG systems split documents into chunks rather than embed whole documents?",
    "what does it mean that a RAG answer is grounded?",
    "are the weights updated when a model learns a new task from examples in the prompt?",
    "why does a language model sometimes make up a source that doesn't exist?",
    "is a model with downloadable weights open source automatically?",
    "why did Chinchilla beat the larger Gopher model?",
    "in RLHF what does the reward model learn?",
    "why divide the dot product of queries and keys by the square root of the key dimension?",
    "why does a transformer need positional information?",
    "what happens to the model's output when the temperature goes up?",
]
ORDINARY = [  # questions a learner asks about the same lessons that are not their quizzes
    "How does self-attention work?",
    "What is RLHF?",
    "Why do language models hallucinate?",
    "What is retrieval-augmented generation?",
    "What are embeddings used for?",
    "What is supervised learning?",
    "How is a neural network trained?",
    "What is gradient descent?",
    "How do I write a good prompt?",
    "What is a vector database?",
    "What are the risks of using AI at work?",
    "What is a transformer?",
    "How are large language models trained?",
    "What is quantisation?",
    "What are scaling laws?",
    "What is in-context learning?",
    "What is a token?",
    "What is the context window of a model?",
    "Can I run a language model on my laptop?",
    "What is bias in AI systems?",
    "What is the difference between open and closed models?",
    "How does BM25 keyword search work?",
    "What is a mixture of experts?",
    "What is the best recipe for lasagna?",
]


def main() -> None:
    index = sys.argv[1] if len(sys.argv) > 1 else ".tutor/index"
    tutor = build_tutor(Settings(index_dir=index))
    guard = build_quiz_guard(tutor)
    items, vecs = guard._index()
    print(
        f"{len(items)} quiz questions; thresholds: cosine {g.SAME_QUESTION} with shared words {g.SAME_WORDS}, "
        f"or cosine {g.CLOSE_QUESTION} "
        f"with shared words {g.SHARED_WORDS}"
    )
    cases = (("reworded quiz questions", REWORDED, True), ("ordinary questions", ORDINARY, False))
    for label, questions, want in cases:
        right = 0
        print(f"\n{label} (should {'be caught' if want else 'pass'}):")
        for q in questions:
            sims = vecs @ tutor.embedder.embed_one(q)
            j = int(sims.argmax())
            caught = guard.match(q) is not None
            right += caught == want
            print(
                f"  {'caught' if caught else 'passed'}  cos {sims[j]:.3f} words {g.overlap(q, items[j].question):.2f}"
                f"  {q}  ~  {items[j].question[:70]}"
            )
        print(f"  {right}/{len(questions)} as they should")
    own = sum(1 for it in items if (hit := guard.match(it.question)) is not None and hit.item.ref == it.ref)
    print(f"\nthe index's own quiz questions caught as themselves: {own}/{len(items)}")


if __name__ == "__main__":
    main()
