"""The ``biaskit`` command line: one subcommand per job, a thin layer over the Python API.

All printing and exit codes live here. User mistakes (``BiaskitError``) print one line
``biaskit: error: …`` on stderr and exit with the error's code; they never show a traceback
(``--debug`` shows it).
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from biaskit import __version__
from biaskit.errors import BiaskitError, InputError

logger = logging.getLogger("biaskit")

EXIT_CODES = """exit codes:
  0   success
  1   error (generic biaskit error; accounting or quality gate failed)
  2   bad input or usage (missing file, malformed data, wrong flag)
  3   model file refused (missing, untrusted types, corrupt, incompatible version)
  4   output cannot be written (not a directory, read-only, disk full, locked by another run)
  130 interrupted (Ctrl-C); batch runs resume with --resume
"""


def _read_text_arg(path: str, encoding: str = "utf-8") -> str:
    """Read a file argument, or stdin for '-', with clear errors."""
    if path == "-":
        return sys.stdin.read()
    p = Path(path)
    if not p.exists():
        raise InputError("file not found", path=path)
    if p.is_dir():
        raise InputError("is a directory, expected a text file", path=path)
    data = p.read_bytes()
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"cannot decode as {encoding} at byte {exc.start}; pass --encoding (e.g. latin-1)",
            path=path,
        ) from exc
    return text.removeprefix("\ufeff")


def _write(line: str) -> None:
    sys.stdout.write(line + "\n")


# --------------------------------------------------------------------------- segment


def _cmd_segment(args: argparse.Namespace) -> int:
    from biaskit import segment as seg

    if args.train:
        if not args.out:
            raise InputError("--train needs --out FILE to save the learned parameters")
        texts = list(_iter_training_texts(args.train, args.encoding))
        params = seg.train_punkt(texts)
        seg.save_punkt(params, args.out)
        _write(
            f"learned Punkt parameters from {len(texts)} document(s): "
            f"{len(params.abbrev_types)} abbreviations, {len(params.collocations)} collocations, "
            f"{len(params.sent_starters)} sentence starters -> {args.out}"
        )
        return 0
    if not args.file:
        raise InputError("segment needs FILE (or '-' for stdin), or --train CORPUS --out FILE")
    text = _read_text_arg(args.file, args.encoding)
    for s in seg.segment(text, punkt=args.punkt):
        if args.format == "jsonl":
            _write(
                json.dumps(
                    {
                        "start": s.start,
                        "end": s.end,
                        "text": s.text,
                        "paragraph": s.paragraph,
                        "is_headline": s.is_headline,
                        "in_quote": s.in_quote,
                    },
                    ensure_ascii=False,
                )
            )
        else:
            _write(" ".join(s.text.split()))
    return 0


def _iter_training_texts(path: str, encoding: str) -> Any:
    p = Path(path)
    if not p.exists():
        raise InputError("training corpus not found", path=path)
    files = sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p]
    for f in files:
        if f.suffix == ".jsonl":
            for i, line in enumerate(f.read_text(encoding=encoding).splitlines(), start=1):
                if line.strip():
                    try:
                        yield json.loads(line)["text"]
                    except (json.JSONDecodeError, KeyError, TypeError) as exc:
                        raise InputError(
                            "expected a JSON object with a 'text' field", path=str(f), line=i
                        ) from exc
        elif f.suffix in (".txt", ".md", ""):
            yield _read_text_arg(str(f), encoding)


# --------------------------------------------------------------------------- parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; subcommands mirror the Python functions of the same names."""
    parser = argparse.ArgumentParser(
        prog="biaskit",
        description="Claims, attributions and framing in news, sentence by sentence.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"biaskit {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress or info logs")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "segment",
        help="split text into sentences (biaskit.segment)",
        description="Split a text file into sentences, one per line, or JSONL with offsets.",
        epilog=EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("file", nargs="?", help="text file, or '-' for stdin")
    p.add_argument("--format", choices=["text", "jsonl"], default="text")
    p.add_argument("--punkt", help="Punkt parameter file from --train")
    p.add_argument("--train", metavar="CORPUS", help="learn Punkt parameters from a file/dir")
    p.add_argument("--out", help="where --train saves the parameters")
    p.add_argument("--encoding", default="utf-8")
    p.set_defaults(func=_cmd_segment)

    for register in _EXTRA_COMMANDS:
        register(sub)
    return parser


# other modules' subcommands register here (kept in this file; see below)
_EXTRA_COMMANDS: list[Callable[[Any], None]] = []


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``biaskit`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING if args.quiet else logging.INFO,
        format="biaskit: %(message)s",
        stream=sys.stderr,
    )
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except BiaskitError as exc:
        if args.debug:
            raise
        sys.stderr.write(f"biaskit: error: {exc}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("biaskit: interrupted\n")
        return 130
    except BrokenPipeError:
        # output piped into `head` and closed early: not an error for the user
        return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
