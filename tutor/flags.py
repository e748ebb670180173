"""Command-line inputs: one `--flag` per setting, and the settings, search filters and questions a parsed
command line asks for. `tutor/cli.py` builds the parser and runs the commands with these."""

from __future__ import annotations

import argparse
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tutor.errors import TutorError

FLAG_ALIASES = {"lessons_dir": ["--lessons"], "index_dir": ["--index"]}  # the short names the README uses


def settings_of(args: argparse.Namespace) -> Any:
    """The settings with every `--flag` given on the command line on top (flags absent: not in `args`)."""
    from tutor.settings import Settings, load_settings

    return load_settings(**{name: getattr(args, name, None) for name in Settings.model_fields})


def flag_type(annotation: Any) -> tuple[Any, list[str] | None, bool]:
    """(argparse type, choices, takes several values) of a settings field's type."""
    from pydantic import SecretStr

    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return str, [str(a) for a in args], False
    if origin is list:
        return flag_type(args[0])[0], None, True
    if args and origin is not None:  # X | None
        return flag_type(args[0])
    return (str if annotation is SecretStr else annotation), None, False


def add_settings_flags(sp: argparse.ArgumentParser) -> None:
    """One `--flag` per Settings field (`lessons_dir` -> `--lessons-dir`), generated from the model, so every
    setting is reachable from the command line; a command's own option of the same name wins."""
    from tutor.settings import Settings

    group = sp.add_argument_group("settings (also TUTOR_* environment variables and tutor.toml)")
    for name, field in Settings.model_fields.items():
        flags = [f"--{name.replace('_', '-')}", *FLAG_ALIASES.get(name, [])]
        flags = [f for f in flags if f not in sp._option_string_actions]
        if not flags:
            continue
        kind, choices, many = flag_type(field.annotation)
        help = f"{field.description or name} (TUTOR_{name.upper()})".replace("%", "%%")
        if kind is bool:
            group.add_argument(
                *flags, dest=name, action=argparse.BooleanOptionalAction, default=argparse.SUPPRESS, help=help
            )
            continue
        group.add_argument(
            *flags,
            dest=name,
            type=kind,
            choices=choices,
            nargs="*" if many else None,
            default=argparse.SUPPRESS,
            metavar=name.split("_")[-1].upper() if not choices else None,
            help=help,
        )


def filters_of(args: argparse.Namespace, tutor: Any = None) -> Any:
    """The search filters; with `tutor`, each one must name something in its index (else nothing would be
    found, silently)."""
    from tutor.errors import ConfigError
    from tutor.search.retriever import Filters

    if tutor is not None:
        lessons = tutor.lessons()
        known = {
            "lesson": set(lessons),
            "program": {e.program for e in lessons.values()},
            "language": {e.language for e in lessons.values()},
        }
        for name, values in known.items():
            value = getattr(args, name)
            if value and value not in values:
                listed = "the lesson ids" if name == "lesson" else f"the {name}s"
                raise ConfigError(f"no {name} {value!r} in the index: `tutor lessons` lists {listed}")
    return Filters(args.program, args.lesson, args.language)


def questions_of(args: argparse.Namespace) -> Iterator[str]:
    """The questions of a command: the one on the command line, or one a line of `--from-file`."""
    if args.from_file:
        path = Path(args.from_file)
        if not path.is_file():
            raise TutorError(f"question file {path} not found")
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise TutorError(f"question file {path} is not valid UTF-8 (line {line}); re-save it as UTF-8") from None
        yield from (q.strip() for q in text.splitlines() if q.strip())
    elif args.question:
        yield args.question
    else:
        raise TutorError("give a QUESTION or --from-file FILE")


def at_least_one(text: str) -> int:
    """An argparse type: a whole number, 1 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value
