"""The ``biaskit`` command line: one subcommand per job, a thin layer over the Python API.

All printing and exit codes live here. User mistakes (``BiaskitError``) print one line
``biaskit: error: …`` on stderr and exit with the error's code; they never show a traceback
(``--debug`` shows it).
"""

from __future__ import annotations

import argparse
import dataclasses
import errno
import json
import logging
import re
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


#: errno values that mean "the output cannot be written" (exit code 4)
_OUTPUT_ERRNOS = frozenset(
    getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EROFS", "EFBIG") if hasattr(errno, name)
)


def _write_file(path: str, writer: Callable[[Path], Any]) -> None:
    """Write an output file atomically (temporary file, then rename), or raise OutputError."""
    from biaskit.report import _atomic_write

    _atomic_write(Path(path), lambda tmp: writer(tmp))


def _read_text_arg(path: str, encoding: str = "utf-8") -> str:
    """Read a file argument, or stdin for '-', with clear errors."""
    from biaskit.io import check_encoding

    check_encoding(encoding)  # an unknown --encoding is a usage error, not a LookupError
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


# subcommands beyond `segment` register here (all defined in this file, below)
_EXTRA_COMMANDS: list[Callable[[Any], None]] = []

# --------------------------------------------------------------------------- segment


def _cmd_segment(args: argparse.Namespace) -> int:
    from biaskit import segment as seg

    if args.train:
        if not args.out:
            raise InputError("--train needs --out FILE to save the learned parameters")
        texts = list(_iter_training_texts(args.train, args.encoding))
        params = seg.train_punkt(texts)
        # reliability fix (issue 10): written atomically, an unwritable --out is an OutputError
        _write_file(args.out, lambda tmp: seg.save_punkt(params, tmp))
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
    from biaskit.io import check_encoding

    check_encoding(encoding)
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
    parser.add_argument(
        "--quiet", "-q", dest="global_quiet", action="store_true", help="no progress or info logs"
    )
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
    p.add_argument("--encoding", default="utf-8", help="text encoding of FILE (default: utf-8)")
    p.set_defaults(func=_cmd_segment)

    for register in _EXTRA_COMMANDS:
        register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``biaskit`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # `biaskit -q score` and `biaskit score -q` mean the same
    quiet = args.global_quiet or getattr(args, "quiet", False)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING if quiet else logging.INFO,
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
    except OSError as exc:
        # reliability fix (issue 10): an operating-system failure (disk full, read-only file
        # system, I/O error) that no biaskit function turned into an OutputError printed a
        # traceback; it is one line too, with the output exit code when nothing can be written
        if args.debug:
            raise
        where = f" ({exc.filename})" if exc.filename else ""
        sys.stderr.write(f"biaskit: error: {exc.strerror or exc}{where}\n")
        # pyarrow raises OSError without errno; its message carries "[errno 28]"
        found = re.search(r"\[errno (\d+)\]", str(exc), re.IGNORECASE)
        code = exc.errno if exc.errno is not None else int(found.group(1)) if found else None
        return 4 if code in _OUTPUT_ERRNOS else 1


# --------------------------------------------------------------------------- analyze


def _fmt_tags(row: Any) -> str:
    tags = []
    if row["claim"]:
        tags.append(f"claim {row['p_claim']:.2f}")
    if row["attribution"]:
        tags.append(f"attribution[{','.join(row['attribution_kind'])}] {row['p_attribution']:.2f}")
    if row["framing"]:
        tags.append(f"framing[{','.join(row['framing_kind'])}] {row['p_framing']:.2f}")
    if row["quoted_framing"]:
        tags.append(f"quoted-framing[{','.join(row['quoted_framing_kind'])}]")
    return "; ".join(tags) or "-"


#: ``analyze`` reads these formats with the readers of ``score`` (``biaskit.io``); any other
#: file is one article's plain text
_DOCUMENT_FORMATS = frozenset({"html", "jsonl", "csv", "tsv", "parquet"})
#: reader errors that only say there is nothing to analyze (a note, not an error)
_EMPTY_REASONS = frozenset({"empty text", "empty file: no records"})
#: the column flags of ``score`` and ``analyze`` (``biaskit.io.ColumnMap`` fields)
_COLUMN_FLAGS = ("id_col", "text_col", "outlet_col", "title_col", "date_col", "url_col")


def _columns(args: argparse.Namespace) -> tuple[Any, list[str]]:
    """The column mapping of the flags, and the fields the user passed (required columns)."""
    from biaskit.io import ColumnMap

    given = {f: getattr(args, f) for f in _COLUMN_FLAGS if getattr(args, f) is not None}
    return ColumnMap(**given), list(given)


def _analyze_documents(args: argparse.Namespace) -> tuple[list[dict[str, Any]], str, bool]:
    """The documents of ``analyze FILE``, the text of a single article, and if FILE is a table.

    A text file or stdin is one article; an HTML page is reduced to its article (title and
    date kept), as ``score`` does; JSONL, CSV/TSV and parquet hold one article per row and
    read with the same column flags. Rows that cannot be read are warnings on stderr.
    """
    from biaskit import io as bio

    fmt = None if args.file == "-" else bio.input_format(args.file)
    if fmt not in _DOCUMENT_FORMATS:
        text = _read_text_arg(args.file, args.encoding)
        doc_id = "stdin" if args.file == "-" else Path(args.file).stem
        return [{"doc_id": doc_id, "outlet": args.outlet, "text": text}], text, False
    bio.check_encoding(args.encoding)
    path = Path(args.file)
    if path.is_dir():
        raise InputError(
            "is a directory, expected a file (use `biaskit score` for directories)", path=args.file
        )
    columns, required = _columns(args)
    sources = bio.expand_inputs([args.file])
    bio.check_sources(sources, columns, encoding=args.encoding, required=required)
    docs: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for record in bio.iter_records(sources, columns=columns, encoding=args.encoding):
        (errors if bio.is_error(record) else docs).append(dict(record))
    problems = [e for e in errors if e["reason"] not in _EMPTY_REASONS]
    if not docs and problems:
        first = problems[0]
        more = f" (and {len(problems) - 1} more error(s))" if len(problems) > 1 else ""
        raise InputError(first["reason"] + more, path=first["source"], line=first["line"])
    for e in errors if docs else []:
        where = f"{e['source']}:{e['line']}" if e["line"] is not None else e["source"]
        logger.warning("%s: skipped: %s", where, e["reason"])
    if fmt == "html":
        for doc in docs:
            doc["doc_id"] = path.stem  # as for a text file; the reader's id is the path
    if args.outlet is not None:
        for doc in docs:
            doc["outlet"] = args.outlet
    if not docs:  # nothing but empty input: analysed as one empty text (a note, empty output)
        docs = [{"doc_id": path.stem, "outlet": args.outlet, "text": ""}]
    keys = ("doc_id", "outlet", "title", "text", "published", "url")
    docs = [{k: d.get(k) for k in keys} for d in docs]
    return docs, docs[0]["text"], fmt != "html"


def _cmd_analyze(args: argparse.Namespace) -> int:
    import biaskit

    docs, text, is_table = _analyze_documents(args)
    if args.html and len(docs) > 1:
        raise InputError(
            f"--html shows one article, the file holds {len(docs)}; pick one row, or run "
            "`biaskit score` and `biaskit report` for a corpus",
            path=args.file,
        )
    table = biaskit.analyze(docs, model=args.model, evidence=not args.no_evidence)
    if table.empty:
        logger.warning("%s holds no text; nothing to analyze", args.file)
    if args.html:
        from biaskit.view import write_html

        # reliability fix (issue 10): written atomically (no half-written page on a full disk),
        # an unwritable path is an OutputError (exit 4) instead of a traceback
        doc_id = docs[0]["doc_id"]
        _write_file(args.html, lambda tmp: write_html(table, text, tmp, title=doc_id))
        logger.info("wrote %s", args.html)
    if args.format == "jsonl":
        cols = [c for c in table.columns if c != "kind_proba"] + ["kind_proba"]
        for rec in table[cols].to_dict(orient="records"):
            _write(json.dumps(_jsonable(rec), ensure_ascii=False))
    elif args.format == "csv":
        flat = table.copy()
        for col in (
            "attribution_kind",
            "framing_kind",
            "quoted_framing_kind",
            "evidence",
            "kind_proba",
        ):
            flat[col] = flat[col].map(lambda v: json.dumps(_jsonable(v), ensure_ascii=False))
        flat.to_csv(sys.stdout, index=False)
    else:
        # doc_id is unique (analyze refuses duplicates), and each document's sentences are one
        # run of rows: grouped once (a filter per document was quadratic)
        groups = {d: g for d, g in table.groupby("doc_id", sort=False)}
        empty = table.iloc[:0]
        for doc in docs:
            rows = groups.get(str(doc["doc_id"]), groups.get(doc["doc_id"], empty))
            if is_table:
                title = f": {_short(' '.join(doc['title'].split()), 90)}" if doc["title"] else ""
                _write(f"== {doc['doc_id']}{title} ==")
            if args.attributions:
                _write_attributions(rows, doc["text"])
            else:
                _write_sentences(rows)
    return 0


def _present(v: Any) -> str | None:
    """A table cell as text, or None when it is missing (None, NaN, empty)."""
    if v is None or _isna(v) or v == "":
        return None
    return str(v)


def _write_attributions(rows: Any, text: str) -> None:
    """``source → cue → content`` of each attributed sentence of one document."""
    for _, row in rows[rows["attribution"]].iterrows():
        content = (
            text[int(row["content_start"]) : int(row["content_end"])]
            if _present(row["content_start"]) is not None
            else ""
        )
        _write(
            f"[{row['sent_id']}] {_present(row['source']) or '(no source)'} → "
            f"{_present(row['cue']) or '?'} → “{_short(content, 90)}”"
        )
        entity = _present(row["source_entity"])
        _write(
            f"      kind: {', '.join(row['attribution_kind'])}; source type: "
            f"{_present(row['source_type']) or 'none'}" + (f"; entity: {entity}" if entity else "")
        )


def _write_sentences(rows: Any) -> None:
    """Each sentence of one document with its tags, attribution parts and evidence."""
    for _, row in rows.iterrows():
        _write(f"[{row['sent_id']}] {_short(' '.join(row['text'].split()), 110)}")
        _write(f"      {_fmt_tags(row)}")
        source, cue = _present(row["source"]), _present(row["cue"])
        if row["attribution"] and (source or cue):
            _write(
                f"      source: {source or '-'} | cue: {cue or '-'} | "
                f"type: {_present(row['source_type']) or '-'}"
            )
        terms = [
            f"{e['term']} ({e['rule'].split(':', 1)[-1]})"
            for e in row["evidence"]
            if e.get("start") is not None and e["rule"].startswith("lexicon")
        ]
        if terms:
            _write(f"      evidence: {'; '.join(dict.fromkeys(terms))}")


def _isna(v: Any) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _jsonable(v: Any) -> Any:
    import numpy as np

    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_jsonable(x) for x in v]
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return None if np.isnan(v) else float(v)
    if isinstance(v, float) and v != v:
        return None
    if v is not None and _isna(v):
        return None
    return v


# --------------------------------------------------------------------------- train / evaluate


def _mapping(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "text_col": args.text_col,
        "label_col": args.label_col,
        "positive": args.positive,
        "tag": args.tag,
    }


def _cmd_train(args: argparse.Namespace) -> int:
    from biaskit.train import train_model

    mapping = _mapping(args) if args.data else {}
    _, card = train_model(
        args.corpus,
        data=args.data,
        out=args.out,
        random_state=args.random_state,
        baselines=not args.no_baselines,
        name=args.name,
        **mapping,
    )
    _print_metrics(card["metrics"])
    _write(f"model written to {args.out} (card: {Path(args.out).with_suffix('').name}.card.json)")
    return 0


def _binary_macro(x: dict[str, Any]) -> tuple[float, float, float]:
    """F1 of a label, of its complement, and their mean, from its confusion counts."""
    c = x["confusion"]
    pos = 2 * c["tp"] / (2 * c["tp"] + c["fn"] + c["fp"]) if c["tp"] else 0.0
    neg = 2 * c["tn"] / (2 * c["tn"] + c["fn"] + c["fp"]) if c["tn"] else 0.0
    return pos, neg, (pos + neg) / 2


def _print_metrics(metrics: dict[str, Any]) -> None:
    for split, m in metrics.items():
        labels = m["labels"]
        if len(labels) == 1:
            # one label (a --label-col/--positive/--tag file): its "macro-F1" is just its F1;
            # binary tasks (CheckThat's SUBJ/OBJ) report the mean F1 of both classes
            (lab, x), = labels.items()
            pos, neg, macro = _binary_macro(x)
            _write(
                f"{split}: F1 {pos:.3f} ({lab}); macro-F1 over {lab} / not {lab} "
                f"{macro:.3f} (F1 of not {lab}: {neg:.3f})"
            )
        else:
            _write(f"{split}: macro-F1 {m['macro_f1']:.3f}")
        for lab, x in labels.items():
            _write(
                f"  {lab:16s} P {x['precision']:.3f}  R {x['recall']:.3f}  F1 {x['f1']:.3f}  "
                f"n+ {x['support']:5d}  ECE {x['ece']:.3f}"
            )


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from biaskit.persist import load_model
    from biaskit.train import evaluate_model, read_labelled

    model = load_model(args.model)
    if args.data:
        path = Path(args.data)
        if path.is_dir():
            from biaskit.brat import evaluate_brat

            result = evaluate_brat(model, path)
            _write(json.dumps(result, indent=2) if args.json else _brat_summary(result))
            return 0
        table = read_labelled(path, **_mapping(args))
    else:
        from biaskit.corpus import load

        _, table = load(args.corpus)
        if args.split != "all":
            table = table[table["split"] == args.split]
    result = evaluate_model(model, table)
    if len(result.get("labels", {})) == 1:
        # one label: the JSON carries the macro over it and its complement too, as printed
        result["macro_f1_binary"] = round(_binary_macro(*result["labels"].values())[2], 4)
    if args.json:
        _write(json.dumps(result, indent=2))
    else:
        _print_metrics({args.split if not args.data else Path(args.data).name: result})
    return 0


def _brat_summary(result: dict[str, Any]) -> str:
    lines = [f"{k}: {v}" for k, v in result.items() if not isinstance(v, (dict, list))]
    for k, v in result.items():
        if isinstance(v, dict):
            lines.append(
                f"{k}: "
                + ", ".join(f"{a}={b}" for a, b in v.items() if not isinstance(b, (dict, list)))
            )
    return "\n".join(lines)


def _cmd_corpus(args: argparse.Namespace) -> int:
    from biaskit import corpus

    if args.action == "validate":
        problems = corpus.validate(args.corpus)
        for p in problems:
            sys.stderr.write(p + "\n")
        _write(
            f"{len(corpus.article_files(args.corpus))} article file(s), {len(problems)} problem(s)"
        )
        return 1 if problems else 0
    if args.action == "build":
        for p in corpus.build(args.corpus):
            _write(f"wrote {p}")
        return 0
    _write(corpus.statistics(args.corpus))
    return 0


def _register_analysis(sub: Any) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser(
        "analyze",
        help="tag each sentence of an article (biaskit.analyze)",
        description="Tag every sentence for claims, attributions and framing, with evidence.",
        epilog=EXIT_CODES,
        formatter_class=fmt,
    )
    p.add_argument(
        "file",
        help="text file ('-': stdin), HTML page (the article is extracted, as `score` does), "
        "or JSONL/CSV/TSV/parquet with one article per row (read with the column flags)",
    )
    p.add_argument("--format", choices=["text", "jsonl", "csv"], default="text")
    p.add_argument(
        "--attributions",
        action="store_true",
        help="show source → cue → content for each attributed sentence",
    )
    p.add_argument("--html", metavar="OUT", help="also write a highlighted HTML view")
    p.add_argument("--model", help=".skops model file (default: the shipped model)")
    p.add_argument(
        "--outlet",
        default=None,
        help="the article's outlet (kept in the output; its own transcript label, e.g. "
        "'LEDGER:' for 'The Ledger', is then read as the outlet's question, not a quotation); "
        "given, it is the outlet of every document of FILE",
    )
    p.add_argument("--no-evidence", action="store_true", help="skip the evidence column")
    p.add_argument("--encoding", default="utf-8", help="text encoding of FILE (default: utf-8)")
    _column_flags(p)
    p.set_defaults(func=_cmd_analyze)

    def mapping_flags(q: Any) -> None:
        q.add_argument("--text-col", default="text")
        q.add_argument("--label-col", default=None)
        q.add_argument("--positive", default=None, help="value of --label-col that means present")
        q.add_argument("--tag", default=None, help="which label --positive marks (e.g. framing)")

    p = sub.add_parser(
        "train",
        help="train a model (biaskit.train.train_model)",
        description="Train deterministically on the corpus or a labelled file; "
        "writes MODEL.skops and its card.",
        epilog=EXIT_CODES,
        formatter_class=fmt,
    )
    p.add_argument("--corpus", default="corpora")
    p.add_argument("--data", help="labelled CSV/TSV/JSONL with a split column (train/dev/test)")
    p.add_argument("--out", default="model.skops")
    p.add_argument("--random-state", type=int, default=0)
    p.add_argument("--name", default="biaskit-default")
    p.add_argument("--no-baselines", action="store_true")
    mapping_flags(p)
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser(
        "evaluate",
        help="evaluate a model on labelled data",
        description="Per-label P/R/F1, macro-F1, confusion and calibration on the "
        "corpus, a labelled CSV/TSV/JSONL, or a BRAT attribution directory.",
        epilog=EXIT_CODES,
        formatter_class=fmt,
    )
    p.add_argument("--model", default=None)
    p.add_argument("--data", help="labelled file or BRAT directory (default: the corpus)")
    p.add_argument("--corpus", default="corpora")
    p.add_argument("--split", default="test", help="corpus split, or 'all'")
    p.add_argument("--json", action="store_true")
    mapping_flags(p)
    p.set_defaults(func=_cmd_evaluate)

    p = sub.add_parser(
        "corpus",
        help="validate, build or summarise the annotated corpus",
        epilog=EXIT_CODES,
        formatter_class=fmt,
    )
    p.add_argument("action", choices=["validate", "build", "stats"])
    p.add_argument("corpus", nargs="?", default="corpora")
    p.set_defaults(func=_cmd_corpus)


_EXTRA_COMMANDS.append(_register_analysis)


# ------------------------------------------------------------------ score / compare / report


def _column_flags(p: argparse.ArgumentParser) -> None:
    """The input column flags of ``score`` and ``analyze`` (``biaskit.io.ColumnMap``)."""
    from biaskit.io import ColumnMap

    for field in _COLUMN_FLAGS:
        default = getattr(ColumnMap, field)
        # None marks a flag the user did not pass: its column is then optional (except text)
        p.add_argument(
            f"--{field.replace('_', '-')}",
            dest=field,
            default=None,
            help=f"input column (default: {default}); given, a CSV/TSV/parquet input must have it",
        )


def _cmd_score(args: argparse.Namespace) -> int:
    from biaskit import io as bio
    from biaskit.batch import ScoreOptions, score

    columns, required = _columns(args)
    columns = dataclasses.replace(columns, keep=_keep_names(args.keep))
    inputs = args.inputs if len(args.inputs) > 1 else args.inputs[0]
    if required:
        # score() requires only the columns named other than the defaults; a flag the user
        # passed names a column that must exist even when it is the default name
        bio.check_sources(
            bio.expand_inputs(inputs), columns, encoding=args.encoding, required=required
        )
    opts = ScoreOptions(
        id_col=columns.id_col,
        text_col=columns.text_col,
        outlet_col=columns.outlet_col,
        title_col=columns.title_col,
        date_col=columns.date_col,
        url_col=columns.url_col,
        keep=columns.keep,
        encoding=args.encoding,
        jobs=args.jobs,
        chunk_size=args.chunk_size,
        engine=args.engine,
        scheduler=args.scheduler,
        resume=args.resume,
        overwrite=args.overwrite,
        format=args.format,
        quiet=args.quiet or args.global_quiet,
        model=args.model,
    )
    result = score(inputs, args.out, opts)
    _write(
        f"rows read {result.rows_read} = scored {result.articles_scored} + errors "
        f"{result.errors}; {result.sentences} sentences in {result.seconds:.1f}s "
        f"-> {result.out_dir}"
    )
    if result.errors:
        _write(
            f"see {result.files.get('errors', Path(result.out_dir) / 'errors.jsonl')} "
            "for the rows that could not be scored"
        )
    return 0


def _keep_names(values: list[str] | None) -> tuple[str, ...]:
    """The column names of ``--keep`` flags, each one name or several separated by commas."""
    return tuple(n.strip() for v in values or () for n in v.split(",") if n.strip())


def _load_scores(path: str) -> Any:
    import pandas as pd

    p = Path(path)
    if p.is_dir():
        for name in ("sentences.parquet", "sentences.csv"):
            if (p / name).exists():
                p = p / name
                break
        else:
            if (p / "parts").is_dir():
                # a `biaskit score` run that was stopped before it assembled its files
                raise InputError(
                    "no sentences.parquet or sentences.csv: the `biaskit score` run that "
                    "writes here did not finish (its parts/ are there); finish it with the "
                    "same command and --resume",
                    path=path,
                )
            raise InputError(
                "no sentences.parquet or sentences.csv (run `biaskit score` first)", path=path
            )
    if not p.exists():
        raise InputError("scores not found", path=path)
    if p.suffix == ".parquet":
        return pd.read_parquet(p)
    import ast

    table = pd.read_csv(p)

    def parse(value: Any, col: str, row: int) -> Any:
        # biaskit writes list cells as JSON; pandas' to_csv writes Python reprs
        # (['reported_speech'], None inside dicts), which JSON cannot read
        if not isinstance(value, str):
            return []
        try:
            return json.loads(value)
        except ValueError:
            pass
        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            shown = value if len(value) <= 80 else value[:77] + "..."
            raise InputError(
                f"column {col!r}, data row {row + 1}: cannot read "
                f"{shown!r} as a list (expected JSON or a Python list literal)",
                path=str(p),
            ) from None

    for col in ("attribution_kind", "framing_kind", "quoted_framing_kind", "evidence"):
        if col in table:
            table[col] = [parse(v, col, i) for i, v in enumerate(table[col].tolist())]
    return table


def _compare_options(args: argparse.Namespace) -> Any:
    from biaskit.comparison import CompareOptions

    return CompareOptions(
        by=args.by,
        metrics=args.metrics.split(",") if args.metrics else None,
        strata=args.strata,
        n_boot=args.n_boot,
        ci=args.ci,
        alpha=args.alpha,
        correction=args.correction,
        random_state=args.random_state,
        min_articles=args.min_articles,
    )


def _run_info(path: str) -> tuple[Any, Any]:
    p = Path(path)
    run = json.loads((p / "run.json").read_text("utf-8")) if (p / "run.json").exists() else None
    card = None
    if run and isinstance(run.get("model"), dict):
        card = run["model"].get("card")
    if card is None:
        try:
            from biaskit.persist import load_model

            card = load_model().card
        except BiaskitError:
            card = None
    return run, card


def _cmd_compare(args: argparse.Namespace) -> int:
    from biaskit.report import write_tables

    table = _load_scores(args.scores)
    files = write_tables(
        table, args.out, options=_compare_options(args), figures=not args.no_figures
    )
    for name, path in files.items():
        _write(f"{name}: {path}")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from biaskit.report import write_report

    table = _load_scores(args.scores)
    run, card = _run_info(args.scores) if Path(args.scores).is_dir() else (None, None)
    path = write_report(
        table, args.out, run_info=run, model_card=card, options=_compare_options(args)
    )
    _write(f"report written to {path}")
    return 0


def _register_batch(sub: Any) -> None:
    fmt = argparse.RawDescriptionHelpFormatter
    p = sub.add_parser(
        "score",
        help="score a whole corpus in parallel (biaskit.score)",
        description="Batch scoring: JSONL, CSV/TSV, parquet, or directories of "
        ".txt/.html files ('-' for JSONL on stdin). Writes sentences, articles, "
        "errors.jsonl and run.json into OUT; resumable.",
        epilog=EXIT_CODES,
        formatter_class=fmt,
    )
    p.add_argument("inputs", nargs="+", help="input files or directories, or '-'")
    p.add_argument("-o", "--out", required=True, help="output directory")
    _column_flags(p)
    p.add_argument(
        "--keep",
        action="append",
        default=None,
        metavar="COL[,COL...]",
        help="input columns to copy onto every sentence and article row (e.g. topic,section, "
        "then `compare --strata topic`); repeatable. A CSV/TSV/parquet input must have them; "
        "a JSONL line without one gets null",
    )
    p.add_argument(
        "--encoding",
        default="utf-8",
        help="encoding of the input files (default: utf-8, with or without a BOM); a file "
        "that does not decode is listed in errors.jsonl",
    )
    p.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    p.add_argument("--chunk-size", type=int, default=500)
    p.add_argument("--engine", choices=["local", "dask"], default="local")
    p.add_argument("--scheduler", default=None, help="dask scheduler address")
    p.add_argument("--resume", action="store_true")
    p.add_argument("--overwrite", action="store_true")
    p.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    p.add_argument("--model", default=None)
    p.add_argument("--quiet", "-q", dest="quiet", action="store_true")
    p.set_defaults(func=_cmd_score)

    def compare_flags(q: Any) -> None:
        q.add_argument("scores", help="output directory of `biaskit score` (or a sentences file)")
        q.add_argument("-o", "--out", required=True)
        q.add_argument("--by", default="outlet")
        q.add_argument("--metrics", default=None, help="comma-separated metric names")
        q.add_argument("--strata", default=None, help="column to stratify by (topic, week…)")
        q.add_argument("--n-boot", type=int, default=2000)
        q.add_argument("--ci", choices=["percentile", "bca"], default="percentile")
        q.add_argument("--alpha", type=float, default=0.05)
        q.add_argument("--correction", choices=["holm", "bh"], default="holm")
        q.add_argument("--random-state", type=int, default=0)
        q.add_argument("--min-articles", type=int, default=30)

    p = sub.add_parser(
        "compare",
        help="per-outlet rates with CIs and corrected pairwise tests",
        epilog=EXIT_CODES,
        formatter_class=fmt,
    )
    compare_flags(p)
    p.add_argument("--no-figures", action="store_true")
    p.set_defaults(func=_cmd_compare)
    p = sub.add_parser(
        "report",
        help="one self-contained HTML report of a scored corpus",
        epilog=EXIT_CODES,
        formatter_class=fmt,
    )
    compare_flags(p)
    p.set_defaults(func=_cmd_report)


_EXTRA_COMMANDS.append(_register_batch)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
