"""One settings object: defaults, tutor.toml, TUTOR_* variables and flags, in that rising order."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from tutor.settings import describe, load_settings


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    assert load_settings().index_dir == Path(".tutor/index")
    (tmp_path / "tutor.toml").write_text('index_dir = "from-toml"\nmax_tokens = 99\nport = 7000\n')
    s = load_settings()
    assert (s.index_dir, s.max_tokens, s.port) == (Path("from-toml"), 99, 7000)
    monkeypatch.setenv("TUTOR_INDEX_DIR", "from-env")
    assert load_settings().index_dir == Path("from-env")
    assert load_settings(index_dir="from-flag", port=None).index_dir == Path("from-flag")
    assert load_settings(index_dir="from-flag").port == 7000  # an unset flag does not override


def test_config_file_from_variable_and_bad_values(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    cfg = tmp_path / "elsewhere.toml"
    cfg.write_text("min_evidence = 0.5\n")
    monkeypatch.setenv("TUTOR_CONFIG", str(cfg))
    assert load_settings().min_evidence == 0.5
    monkeypatch.setenv("TUTOR_TEMPERATURE", "9")
    with pytest.raises(ValidationError, match="temperature"):
        load_settings()


def test_every_field_is_described():
    assert all(desc for _, _, desc in describe(load_settings()))
