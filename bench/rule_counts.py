"""Counts the hand rules in the tutor's code: regular expressions, words in hard-coded word lists and tuned
module constants, so a change that replaces rules with fitted weights can say how many it removed.

It reads the Python files of tutor/answer/, tutor/search/ and tutor/text/ (and any other files or folders
named on the command line) with `ast`, importing nothing, and counts per file:

- regexes: calls `re.compile(...)` (whatever the pattern), and `re.search`, `re.match`, `re.fullmatch`,
  `re.sub`, `re.subn`, `re.split`, `re.findall` and `re.finditer` whose pattern holds a string literal.
  Methods of a compiled pattern (`WORD.findall(text)`) are no new expression and do not count.
  A call of tutor/text/kinds.py's `_re(PATTERN, ...)` counts as a regex too: its `{entry}` places are filled
  with a language's phrases, which count as list words in the data file.
- alternatives: for each of those patterns, its alternation branches: the `|` not escaped and not inside a
  character class, at any bracket depth, plus one (a pattern without `|` counts 1). The pattern is read from
  its string literals, joined with `+`, and from module-level string constants it names (`OPENERS`), so a
  constant spliced into two expressions counts in both; parts it cannot read (`CITE.pattern`) count nothing.
- list words: the whitespace-separated words of
  - the strings of a set, frozenset, list or tuple display of 3 or more elements, all of them word-like
    string literals (not `__all__`, not inside a subscript such as `Literal[...]`, and none holding a "_":
    such a display names fields or features, `("program", "lesson_id", "language")`, it lists no words);
  - a string of 2+ words (a literal or a module-level string constant) given to a function whose name ends
    in `_set`, `_words` or is `terms` (`stem_set("what how why ...")`, `content_words(GENERIC)`);
  - a string of 2+ words split by `.split()` (with a literal separator: its pieces);
  - for `re.findall(PATTERN, TEXT)` with both literal: the matches of PATTERN in TEXT (`STOP` in
    tutor/answer/sentences.py); that call counts as a regex too.
  Each literal and each constant counts once per file. Data files (.json, .txt) under tutor/text/, or named
  on the command line, count their entries: every string in a JSON array and every key of a JSON object
  whose value is a string or number; every non-empty line of a .txt that is not a `#` comment.
- constants and switches: module-level assignments (plain or annotated) to an UPPER_CASE name whose value is
  a number literal (int or float, a leading - or + allowed; True/False are not numbers). One whose value is
  0 or 1 and that is an on/off switch counts under switches, not constants: it is used as a truth value
  (`if NAME`, `NAME and ...`, `not NAME`, `x if NAME else y`, here or as `module.NAME` in another file of
  the same count), or its trailing comment starts with "1:" or "0:" or says "0: off". A 0/1 that is a
  threshold (`MIN_COUNT = 1`, compared with `>=`) stays a constant. Numbers inside dicts (`SPARSE_WEIGHT`)
  or tuples are not counted.

Printed: a table per file and the total for the working tree ("now"); with --rev REV, the same for the
files at that git revision (read with `git ls-tree` and `git show REV:path`), then a summary table with a
row for REV and one for now, and under it, per row, how many of the regexes are re.compile and how many
module number constants there are in all (constants + switches). -v lists every item counted.

Run: .venv/bin/python bench/rule_counts.py --rev e37201d [-v] [extra files or folders ...]
"""

from __future__ import annotations

import argparse
import ast
import io
import json
import re
import subprocess
import sys
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIRS = ("tutor/answer", "tutor/search", "tutor/text")
DATA_DIRS = ("tutor/text",)  # data files here count as word lists
DATA_SUFFIXES = (".json", ".txt")
COLUMNS = ("regexes", "alternatives", "list words", "constants", "switches")

# functions that compile a pattern holding {entry} places for a language's phrases (tutor/text/kinds.py)
PHRASE_COMPILERS = {"_re"}
RE_CALLS = {"compile", "search", "match", "fullmatch", "sub", "subn", "split", "findall", "finditer"}
UPPER = re.compile(r"^_?[A-Z][A-Z0-9_]*$")
WORD_LIKE = re.compile(r"^[^\W\d_][\w'’.-]*(?: [\w'’.-]+)*$")  # "what", "what about", "e.g.", "it's"
SWITCH_COMMENT = re.compile(r"^#\s*[01]\s*:|\b0: off\b")
MIN_DISPLAY = 3  # a collection display of this many word strings is a word list
MIN_WORDS = 2  # a string passed to a word function or split holds this many words to be a list


def is_word_function(name: str) -> bool:
    return name.endswith("_set") or name.endswith("_words") or name == "terms"


def alternatives(pattern: str) -> int:
    """Alternation branches of a pattern: unescaped "|" outside character classes, at any depth, plus one."""
    bars, i, in_class = 0, 0, False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if in_class:
            if c == "]":
                in_class = False
        elif c == "[":
            in_class = True
            # "]" first in a class (after an optional "^") is a literal, not its end
            j = i + 1 + (pattern[i + 1 : i + 2] == "^")
            if pattern[j : j + 1] == "]":
                i = j
        elif c == "|":
            bars += 1
        i += 1
    return bars + 1


@dataclass
class Item:
    kind: str  # one of COLUMNS
    line: int
    amount: int
    what: str


@dataclass
class FileCount:
    path: str
    items: list[Item] = field(default_factory=list)
    bool_names: set[str] = field(default_factory=set)  # names used as truth values in this file
    candidates: list[tuple[int, str, int, str]] = field(default_factory=list)  # 0/1 constants: line, name, value

    def total(self, kind: str) -> int:
        return sum(i.amount for i in self.items if i.kind == kind)

    def add(self, kind: str, line: int, amount: int, what: str) -> None:
        self.items.append(Item(kind, line, amount, what))


def short(text: str, n: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 3] + "..."


def comments(source: str) -> dict[int, str]:
    out: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type == tokenize.COMMENT:
                out[tok.start[0]] = tok.string
    except (tokenize.TokenError, SyntaxError):
        pass
    return out


def number(node: ast.expr) -> int | float | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = number(node.operand)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return node.value
    return None


def assigned_names(stmt: ast.stmt) -> tuple[list[str], ast.expr | None]:
    if isinstance(stmt, ast.Assign):
        return [t.id for t in stmt.targets if isinstance(t, ast.Name)], stmt.value
    if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
        return [stmt.target.id], stmt.value
    return [], None


class Counter(ast.NodeVisitor):
    def __init__(self, tree: ast.Module, fc: FileCount) -> None:
        self.fc = fc
        self.strings: dict[str, str] = {}  # module-level string constants, for patterns and word lists
        self.used: set[int] = set()  # ids of string nodes already counted as words
        self.used_names: set[str] = set()  # module constants already counted as words
        self.parents: dict[int, ast.AST] = {}
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                self.parents[id(child)] = node
        for stmt in tree.body:
            names, value = assigned_names(stmt)
            if value is not None:
                text, _ = self.fold(value)
                if text is not None:
                    for name in names:
                        self.strings[name] = text

    def fold(self, node: ast.expr) -> tuple[str | None, bool]:
        """The string an expression spells from literals, `+` and module string constants (None: unknown),
        and whether it holds a literal. Unknown parts of a `+` are left out."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value, True
        if isinstance(node, ast.Name) and node.id in self.strings:
            return self.strings[node.id], False
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            left, lit_l = self.fold(node.left)
            right, lit_r = self.fold(node.right)
            if left is None and right is None:
                return None, False
            return (left or "") + (right or ""), lit_l or lit_r
        return None, False

    def word_source(self, node: ast.expr) -> tuple[str | None, str]:
        """A literal string or a module string constant, not counted before, and a label for it."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return (None, "") if id(node) in self.used else (node.value, repr(node.value))
        if isinstance(node, ast.Name) and node.id in self.strings:
            return (None, "") if node.id in self.used_names else (self.strings[node.id], node.id)
        return None, ""

    def mark(self, node: ast.expr) -> None:
        if isinstance(node, ast.Name):
            self.used_names.add(node.id)
        for sub in ast.walk(node):
            self.used.add(id(sub))

    def visit_Call(self, node: ast.Call) -> None:
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "re" and name in RE_CALLS:
            self.regex_call(node, name)
        elif isinstance(f, ast.Name) and name in PHRASE_COMPILERS and node.args:
            self.regex_call(node, "compile")  # a pattern whose {entries} are a language's phrases
        elif is_word_function(name) and node.args:
            text, label = self.word_source(node.args[0])
            if text is not None and len(text.split()) >= MIN_WORDS:
                self.fc.add("list words", node.lineno, len(text.split()), f"{name}({short(label, 60)})")
                self.mark(node.args[0])
        elif name == "split" and isinstance(f, ast.Attribute):
            text, label = self.word_source(f.value)
            sep = node.args[0] if node.args else None
            if text is not None:
                if sep is None or (isinstance(sep, ast.Constant) and sep.value is None):
                    pieces = text.split()
                elif isinstance(sep, ast.Constant) and isinstance(sep.value, str):
                    pieces = [p for p in text.split(sep.value) if p.strip()]
                else:
                    pieces = []
                if len(pieces) >= MIN_WORDS:
                    self.fc.add("list words", node.lineno, len(pieces), f"{short(label, 60)}.split()")
                    self.mark(f.value)
        self.generic_visit(node)

    def regex_call(self, node: ast.Call, name: str) -> None:
        arg = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "pattern"), None)
        if arg is None:
            return
        pattern, literal = self.fold(arg)
        if name != "compile" and not literal:
            return
        n = alternatives(pattern) if pattern is not None else 1
        self.fc.add("regexes", node.lineno, 1, f"re.{name}({short(pattern or ast.unparse(arg), 60)!r})")
        self.fc.add("alternatives", node.lineno, n, f"re.{name} at line {node.lineno}")
        if name == "findall" and pattern is not None and len(node.args) >= 2:
            text, label = self.word_source(node.args[1])
            if text is not None:
                words = re.findall(pattern, text)
                if len(words) >= MIN_WORDS:
                    self.fc.add("list words", node.lineno, len(words), f"re.findall over {short(label, 50)}")
                    self.mark(node.args[1])

    def visit_collection(self, node: ast.Set | ast.List | ast.Tuple) -> None:
        elts = node.elts
        parent = self.parents.get(id(node))
        in_all = isinstance(parent, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in parent.targets
        )
        if (
            len(elts) >= MIN_DISPLAY
            and all(isinstance(e, ast.Constant) and isinstance(e.value, str) and WORD_LIKE.match(e.value) for e in elts)
            and not any("_" in e.value for e in elts)  # type: ignore[attr-defined]
            and not in_all
            and not isinstance(parent, ast.Subscript)
            and not any(id(e) in self.used for e in elts)
        ):
            words = [w for e in elts for w in e.value.split()]  # type: ignore[attr-defined]
            kind = type(node).__name__.lower()
            self.fc.add("list words", node.lineno, len(words), f"{kind} of {len(elts)}: {short(' '.join(words), 55)}")
            self.mark(node)
        self.generic_visit(node)

    visit_Set = visit_List = visit_Tuple = visit_collection

    # names used as truth values: what makes a 0/1 constant a switch
    def truth(self, node: ast.expr) -> None:
        if isinstance(node, ast.Name):
            self.fc.bool_names.add(node.id)
        elif isinstance(node, ast.Attribute):
            self.fc.bool_names.add(node.attr)

    def visit_If(self, node: ast.If) -> None:
        self.truth(node.test)
        self.generic_visit(node)

    def visit_While(self, node: ast.While) -> None:
        self.truth(node.test)
        self.generic_visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        self.truth(node.test)
        self.generic_visit(node)

    def visit_Assert(self, node: ast.Assert) -> None:
        self.truth(node.test)
        self.generic_visit(node)

    def visit_BoolOp(self, node: ast.BoolOp) -> None:
        for v in node.values:
            self.truth(v)
        self.generic_visit(node)

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not):
            self.truth(node.operand)
        self.generic_visit(node)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        for cond in node.ifs:
            self.truth(cond)
        self.generic_visit(node)


def count_python(path: str, source: str) -> FileCount:
    fc = FileCount(path)
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        print(f"{path}: not parsed ({e})", file=sys.stderr)
        return fc
    Counter(tree, fc).visit(tree)
    notes = comments(source)
    for stmt in tree.body:
        names, value = assigned_names(stmt)
        v = number(value) if value is not None else None
        for name in names:
            if v is None or not UPPER.match(name):
                continue
            if isinstance(v, int) and v in (0, 1):
                fc.candidates.append((stmt.lineno, name, v, notes.get(stmt.lineno, "")))
            else:
                fc.add("constants", stmt.lineno, 1, f"{name} = {v}")
    return fc


def settle_switches(files: list[FileCount]) -> None:
    """A 0/1 constant is a switch if any file of the count uses its name as a truth value, or its comment says."""
    truth_names = set().union(*(f.bool_names for f in files)) if files else set()
    for f in files:
        for line, name, v, note in f.candidates:
            if name in truth_names or SWITCH_COMMENT.search(note):
                f.add("switches", line, 1, f"{name} = {v}")
            else:
                f.add("constants", line, 1, f"{name} = {v}")
        f.candidates.clear()


def json_entries(data: object) -> Iterator[str]:
    if isinstance(data, list):
        for x in data:
            if isinstance(x, str):
                yield x
            else:
                yield from json_entries(x)
    elif isinstance(data, dict):
        for k, x in data.items():
            if isinstance(x, str | int | float) and not isinstance(x, bool):
                yield k
            else:
                yield from json_entries(x)


def count_data(path: str, source: str) -> FileCount:
    fc = FileCount(path)
    if path.endswith(".json"):
        try:
            n = sum(1 for _ in json_entries(json.loads(source)))
        except json.JSONDecodeError as e:
            print(f"{path}: not read ({e})", file=sys.stderr)
            n = 0
    else:
        n = sum(1 for s in source.splitlines() if s.strip() and not s.lstrip().startswith("#"))
    if n:
        fc.add("list words", 1, n, f"{n} entries")
    return fc


def wanted(path: str, dirs: Iterable[str], files: Iterable[str]) -> bool:
    if "__pycache__" in path:
        return False
    if path in files:
        return path.endswith(".py") or path.endswith(DATA_SUFFIXES)
    if not any(path.startswith(d.rstrip("/") + "/") for d in dirs):
        return False
    return path.endswith(".py") or (path.endswith(DATA_SUFFIXES) and any(path.startswith(d + "/") for d in DATA_DIRS))


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, check=True, capture_output=True, text=True).stdout


def sources(rev: str | None, dirs: list[str], files: list[str]) -> list[tuple[str, str]]:
    """(repo-relative path, text) of the files counted, at a revision or in the working tree."""
    if rev:
        listed = git("ls-tree", "-r", "--name-only", rev, "--", *dirs, *files).splitlines()
        return [(p, git("show", f"{rev}:{p}")) for p in sorted(listed) if wanted(p, dirs, files)]
    paths: set[str] = set(files)
    for d in dirs:
        if (ROOT / d).is_dir():
            paths |= {p.relative_to(ROOT).as_posix() for p in (ROOT / d).rglob("*") if p.is_file()}
    return [
        (p, (ROOT / p).read_text(encoding="utf-8"))
        for p in sorted(paths)
        if (ROOT / p).is_file() and wanted(p, dirs, files)
    ]


def count(rev: str | None, dirs: list[str], files: list[str]) -> list[FileCount]:
    out = [count_python(p, s) if p.endswith(".py") else count_data(p, s) for p, s in sources(rev, dirs, files)]
    settle_switches(out)
    return out


def row(label: str, values: Iterable[object]) -> str:
    return "| " + " | ".join([label, *(str(v) for v in values)]) + " |"


def header(first: str) -> str:
    return row(first, COLUMNS) + "\n" + row("---", ["---:"] * len(COLUMNS))


def totals(counts: list[FileCount]) -> list[int]:
    return [sum(f.total(k) for f in counts) for k in COLUMNS]


def report(title: str, counts: list[FileCount], verbose: bool) -> None:
    print(f"\n{title}\n")
    print(header("file"))
    for f in counts:
        print(row(f.path, [f.total(k) for k in COLUMNS]))
    print(row("**total**", totals(counts)))
    if verbose:
        for f in counts:
            for it in sorted(f.items, key=lambda i: (COLUMNS.index(i.kind), i.line)):
                if it.kind != "alternatives" or it.amount > 1:
                    print(f"  {f.path}:{it.line}  {it.kind:<12} {it.amount:>3}  {it.what}")


def repo_relative(arg: str) -> str:
    p = Path(arg)
    p = p.resolve() if p.is_absolute() or (Path.cwd() / p).exists() else ROOT / p
    try:
        return p.relative_to(ROOT).as_posix()
    except ValueError:
        sys.exit(f"{arg}: not inside {ROOT}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    ap.add_argument("paths", nargs="*", help="more files or folders to count (besides the default folders)")
    ap.add_argument("--rev", help="also count at this git revision (e.g. e37201d) and print it beside now")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every item counted")
    a = ap.parse_args(argv)
    dirs, files = list(DEFAULT_DIRS), []
    for arg in a.paths:
        rel = repo_relative(arg)
        if (ROOT / rel).is_dir() or (a.rev and not Path(rel).suffix):
            dirs.append(rel.rstrip("/"))
        else:
            files.append(rel)
    print("counted: " + ", ".join([d + "/" for d in dirs] + files))
    sides: list[tuple[str, list[FileCount]]] = []
    if a.rev:
        before = count(a.rev, dirs, files)
        report(f"## at {a.rev}", before, a.verbose)
        sides.append((a.rev, before))
    now = count(None, dirs, files)
    report("## now (working tree)", now, a.verbose)
    sides.append(("now", now))
    rows = [(label, totals(counts)) for label, counts in sides]
    print()
    print(header(""))
    for label, values in rows:
        print(row(label, values))
    print()
    for label, counts in sides:
        compiled = sum(i.amount for f in counts for i in f.items if i.kind == "regexes" and "re.compile(" in i.what)
        inline = sum(f.total("regexes") for f in counts) - compiled
        constants, switches = (sum(f.total(k) for f in counts) for k in ("constants", "switches"))
        print(
            f"{label}: regexes = {compiled} re.compile + {inline} other re.* calls with a literal pattern; "
            f"module number constants = {constants + switches} ({switches} of them switches)"
        )


if __name__ == "__main__":
    main()
