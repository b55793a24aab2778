"""Tests of biaskit.batch: batch scoring, accounting, parallel engines, resume, locking.

Most tests use the fast fake scorers of ``fixtures/batch/fakescorer.py`` (real segmentation,
fixed tags); ``test_real_model_end_to_end`` runs the shipped model.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import random
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

import biaskit
from biaskit.batch import ScoreOptions, ScoreResult, score
from biaskit.errors import BiaskitError, InputError, InterruptedRun, OutputError, SchemaError
from biaskit.schema import ARTICLE_COLUMNS, SENTENCE_COLUMNS

FIX = Path(__file__).parent / "fixtures" / "batch"
# worker processes are spawned and inherit sys.path, so they can import the fake scorers too
if str(FIX) not in sys.path:
    sys.path.insert(0, str(FIX))
import fakescorer  # noqa: E402
from _helpers import (  # noqa: E402
    complete_parts,
    interrupt_after_parts,
    reap,
    spy_on_assembly,
    start_score,
    wait_for,
)

FIXTURE_INPUTS = [
    "docs.jsonl", "bom.jsonl", "empty.jsonl", "docs.csv", "docs.tsv", "latin1.csv", "site",
    "dupes.jsonl",
]

SENTENCES = [
    "The council approved the budget on Tuesday.",
    "Prices rose 3.5% in May, the statistics office said.",
    "Officials who asked not to be named said talks had stalled.",
    "The company reportedly plans to cut 1,200 jobs.",
    "“We will not back down,” the union leader said.",
    "Shares fell 4% in early trading.",
    "According to the ministry, 14 people were injured.",
    "The storm is expected to weaken by Thursday.",
    "Critics called the plan a reckless gamble.",
    "The museum reopened after a two-year renovation.",
]


def fixture_inputs() -> list[str]:
    return [str(FIX / name) for name in FIXTURE_INPUTS]


def synthetic_jsonl(path: Path, n: int, *, seed: int = 0, outlets: int = 5) -> Path:
    """``n`` seeded synthetic articles of 2–7 sentences in 1–3 paragraphs."""
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            paras = [" ".join(rng.choices(SENTENCES, k=rng.randint(1, 3)))
                     for _ in range(rng.randint(1, 3))]
            doc = {"doc_id": f"doc-{i:05d}", "outlet": f"outlet-{i % outlets}",
                   "title": f"Article {i}", "text": "\n\n".join(paras)}
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return path


def run(inputs, out, **kw) -> ScoreResult:
    kw.setdefault("scorer", fakescorer.fake_analyze)
    kw.setdefault("jobs", 1)
    kw.setdefault("quiet", True)
    return score(inputs, out, **kw)


def read_outputs(out: Path, fmt: str = "parquet"):
    if fmt == "csv":
        sentences = pd.read_csv(out / "sentences.csv")
        articles = pd.read_csv(out / "articles.csv")
    else:
        sentences = pd.read_parquet(out / "sentences.parquet")
        articles = pd.read_parquet(out / "articles.parquet")
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    return sentences, articles, errors


def assert_same_outputs(a: Path, b: Path) -> None:
    sa, aa, ea = read_outputs(a)
    sb, ab, eb = read_outputs(b)
    key = ["doc_id", "sent_id"]
    pd.testing.assert_frame_equal(
        sa.sort_values(key).reset_index(drop=True), sb.sort_values(key).reset_index(drop=True)
    )
    pd.testing.assert_frame_equal(sa, sb)  # the same order too
    pd.testing.assert_frame_equal(aa, ab)
    assert ea == eb
    assert (a / "errors.jsonl").read_bytes() == (b / "errors.jsonl").read_bytes()
    ca = json.loads((a / "run.json").read_text())["counts"]
    cb = json.loads((b / "run.json").read_text())["counts"]
    for k in ("rows_read", "articles_scored", "errors", "sentences", "parts"):
        assert ca[k] == cb[k], k


# --------------------------------------------------------------------------- outputs and accounting


def test_every_format_scored_and_accounted(tmp_path):
    parquet = tmp_path / "more.parquet"
    pd.DataFrame(
        {"doc_id": ["pq-1", "pq-2"], "outlet": ["vitals", "vitals"],
         "text": ["The trial enrolled 412 patients, researchers said.", None]}
    ).to_parquet(parquet)
    gz = tmp_path / "more.csv.gz"
    gz.write_bytes(gzip.compress(b"doc_id,text\ngz-1,A gzipped article. It was read.\n"))
    out = tmp_path / "out"
    result = run([*fixture_inputs(), str(parquet), str(gz)], out, chunk_size=4)

    assert result.closes
    assert result.rows_read == result.articles_scored + result.errors
    assert (result.rows_read, result.articles_scored, result.errors) == (32, 19, 13)
    assert sorted(p.name for p in out.iterdir()) == [
        "articles.parquet", "errors.jsonl", "run.json", "sentences.parquet"
    ]  # parts/ and the lock are gone
    sentences, articles, errors = read_outputs(out)
    assert list(sentences.columns) == list(SENTENCE_COLUMNS)
    assert len(sentences) == result.sentences
    assert list(articles.columns[: len(ARTICLE_COLUMNS)]) == list(ARTICLE_COLUMNS)
    assert list(articles.columns[len(ARTICLE_COLUMNS):]) == ["title", "published", "url",
                                                              "source", "line"]
    assert len(articles) == result.articles_scored
    assert articles["doc_id"].is_unique
    assert set(sentences["doc_id"]) == set(articles["doc_id"])
    assert len(errors) == result.errors
    assert all(set(e) == {"source", "line", "doc_id", "reason"} for e in errors)

    # every kind of input made it in, with its metadata
    ids = set(articles["doc_id"])
    assert {"hg-1", "bom-1", "csv-1", "tsv-1", "pq-1", "gz-1", "harbor-gazette/storm.html",
            "northwire/2026/kelvar.txt", "top.txt"} <= ids
    storm = articles.set_index("doc_id").loc["harbor-gazette/storm.html"]
    assert storm["outlet"] == "harbor-gazette"
    assert storm["title"] == "Storm knocks out power to 40,000 homes"
    assert storm["published"] == "2026-01-19"
    assert articles.set_index("doc_id").loc["csv-1", "line"] == 2
    # a document without outlet keeps a null outlet
    assert pd.isna(articles.set_index("doc_id").loc["top.txt", "outlet"])

    # run.json: model, inputs with sizes and hashes, options, counts, timings, versions
    info = json.loads((out / "run.json").read_text())
    assert info["counts"]["rows_read"] == 32
    assert info["accounting"]["closes"] is True
    assert info["model"]["scorer"] == "fakescorer.fake_analyze"
    assert info["options"]["chunk_size"] == 4 and info["options"]["jobs"] == 1
    assert "scorer" not in info["options"]
    assert len(info["inputs"]) == len(FIXTURE_INPUTS) + 2
    first = info["inputs"][0]
    assert first["size"] == (FIX / "docs.jsonl").stat().st_size and len(first["sha256"]) == 64
    site = next(i for i in info["inputs"] if i["kind"] == "directory")
    assert site["files"] == 6
    assert info["timings"]["seconds"] > 0
    assert info["environment"]["libraries"]["pandas"] == pd.__version__
    assert info["counts"]["error_reasons"]["empty text"] == 5


def test_error_rows_name_file_line_id_and_reason(tmp_path):
    out = tmp_path / "out"
    run(fixture_inputs(), out, chunk_size=3)
    _, _, errors = read_outputs(out)
    by = {(Path(e["source"]).name, e["line"]): e for e in errors}
    assert by[("dupes.jsonl", 3)] == {
        "source": str(FIX / "dupes.jsonl"), "line": 3, "doc_id": "d-1",
        "reason": f"duplicate id, first seen at {FIX / 'dupes.jsonl'}:1",
    }
    assert by[("docs.csv", 3)]["reason"] == "empty text"
    assert by[("docs.csv", 3)]["doc_id"] == "csv-2"
    assert by[("docs.jsonl", 4)]["reason"].startswith("invalid JSON")
    assert by[("empty.jsonl", None)]["reason"] == "empty file: no records"
    assert "cannot decode as utf-8" in by[("latin1.csv", 2)]["reason"]
    assert "cannot decode as utf-8" in by[("latin1.txt", 1)]["reason"]
    # errors are in input order
    order = [FIXTURE_INPUTS.index(Path(e["source"]).name) if Path(e["source"]).name in
             FIXTURE_INPUTS else FIXTURE_INPUTS.index("site") for e in errors]
    assert order == sorted(order)


def test_duplicate_ids_across_files_are_reported(tmp_path):
    a = tmp_path / "a.jsonl"
    a.write_text('{"doc_id": "x", "text": "One. Two."}\n')
    b = tmp_path / "b.csv"
    b.write_text("doc_id,text\ny,Fine.\nx,Again.\n")
    out = tmp_path / "out"
    result = run([str(a), str(b)], out)
    assert (result.articles_scored, result.errors) == (2, 1)
    [err] = read_outputs(out)[2]
    assert err == {"source": str(b), "line": 3, "doc_id": "x",
                   "reason": f"duplicate id, first seen at {a}:1"}


def test_a_failing_document_becomes_an_error_and_the_rest_is_scored(tmp_path, caplog):
    src = tmp_path / "in.jsonl"
    src.write_text("".join(
        json.dumps({"doc_id": f"d{i}", "text": f"Article {i} said hello. " +
                    ("It will EXPLODE." if i == 3 else "It is calm.")}) + "\n"
        for i in range(6)
    ))
    out = tmp_path / "out"
    with caplog.at_level(logging.WARNING, logger="biaskit.batch"):
        result = run([str(src)], out, chunk_size=10)
    assert (result.articles_scored, result.errors) == (5, 1)
    [err] = read_outputs(out)[2]
    assert err == {"source": str(src), "line": 4, "doc_id": "d3",
                   "reason": "analysis failed: ValueError: fake analyzer cannot tag this document"}
    assert "one by one" in caplog.text
    sentences = read_outputs(out)[0]
    assert sorted(set(sentences["doc_id"])) == ["d0", "d1", "d2", "d4", "d5"]


def test_a_scorer_that_breaks_the_contract_stops_the_run(tmp_path):
    with pytest.raises(SchemaError, match="missing column"):
        run(fixture_inputs(), tmp_path / "out", scorer=fakescorer.broken_analyze)
    assert not (tmp_path / "out" / ".lock").exists()


def test_csv_output_encodes_lists_as_json(tmp_path):
    src = synthetic_jsonl(tmp_path / "in.jsonl", 30)
    run([str(src)], tmp_path / "pq", chunk_size=7)
    run([str(src)], tmp_path / "csv", chunk_size=7, format="csv")
    assert sorted(p.name for p in (tmp_path / "csv").iterdir()) == [
        "articles.csv", "errors.jsonl", "run.json", "sentences.csv"
    ]
    pq_s, pq_a, _ = read_outputs(tmp_path / "pq")
    csv_s, csv_a, _ = read_outputs(tmp_path / "csv", "csv")
    assert list(csv_s.columns) == list(pq_s.columns)
    assert len(csv_s) == len(pq_s) and len(csv_a) == len(pq_a)
    kinds = csv_s["attribution_kind"].map(json.loads)
    assert kinds.tolist() == [list(k) for k in pq_s["attribution_kind"]]
    evidence = csv_s["evidence"].map(json.loads)
    assert any(e and e[0]["term"] == "said" for e in evidence)
    assert csv_s["text"].tolist() == pq_s["text"].tolist()


def test_empty_corpus_writes_empty_tables(tmp_path):
    out = tmp_path / "out"
    result = run([str(FIX / "empty.jsonl")], out)
    assert (result.rows_read, result.articles_scored, result.errors, result.sentences) == (
        1, 0, 1, 0)
    sentences, articles, _ = read_outputs(out)
    assert len(sentences) == 0 and list(sentences.columns) == list(SENTENCE_COLUMNS)
    assert len(articles) == 0


def test_stdin_input(tmp_path, monkeypatch):
    import io

    data = b'{"doc_id": "s1", "text": "Piped in. It works."}\n'
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    result = run(["-"], tmp_path / "out")
    assert (result.rows_read, result.articles_scored) == (1, 1)
    info = json.loads((tmp_path / "out" / "run.json").read_text())
    assert info["inputs"] == [{"path": "-", "kind": "stdin", "size": None, "sha256": None}]


# --------------------------------------------------------------------------- parallel engines


def test_two_jobs_give_the_same_files_as_one(tmp_path):
    src = synthetic_jsonl(tmp_path / "in.jsonl", 400, seed=1)
    inputs = [str(src), *fixture_inputs()]
    one = run(inputs, tmp_path / "one", chunk_size=37, jobs=1)
    two = run(inputs, tmp_path / "two", chunk_size=37, jobs=2)
    assert one.parts == two.parts == 12
    assert_same_outputs(tmp_path / "one", tmp_path / "two")


def test_kept_columns_two_jobs_and_dask_give_the_same_files_as_one(tmp_path):
    """keep= through the worker processes and dask: the same tables as in-process."""
    src = synthetic_jsonl(tmp_path / "in.jsonl", 150, seed=5)
    rng = random.Random(5)
    rows = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines()]
    with open(src, "w", encoding="utf-8") as fh:
        for row in rows:
            # some lines lack a key, some parts mix numbers and text: typed per part
            row["topic"] = rng.choice(["economy", "health", "weather", None])
            row["week"] = rng.choice([10, 11, "W12", None]) if rng.random() < 0.9 else None
            row["tags"] = rng.choice([["a"], [], {"desk": "city"}])
            if rng.random() < 0.2:
                del row["topic"]
            fh.write(json.dumps(row) + "\n")
    inputs = [str(src), str(FIX / "docs.jsonl"), str(FIX / "site")]
    keep = ("topic", "week", "tags")
    one = run(inputs, tmp_path / "one", chunk_size=13, jobs=1, keep=keep)
    two = run(inputs, tmp_path / "two", chunk_size=13, jobs=2, keep=keep)
    assert one.parts == two.parts == 13
    assert_same_outputs(tmp_path / "one", tmp_path / "two")
    run(inputs, tmp_path / "dask", chunk_size=13, engine="dask", jobs=2, keep=keep)
    assert_same_outputs(tmp_path / "one", tmp_path / "dask")
    sentences, articles, _ = read_outputs(tmp_path / "one")
    assert list(sentences.columns[-3:]) == list(articles.columns[-3:]) == list(keep)
    assert pq.read_schema(tmp_path / "one" / "articles.parquet").field("week").type == "string"


def _assemble_at_the_end(monkeypatch) -> list[str]:
    """Turn off the streaming of the final files; return the list the fallback logs into."""
    from biaskit.batch import output

    calls: list[str] = []
    real_init, real_assemble = output._TableStream.__init__, output._assemble_table

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        self.streaming = False

    def assemble(paths, target, *args, **kwargs):
        calls.append(target.name)
        return real_assemble(paths, target, *args, **kwargs)

    monkeypatch.setattr(output._TableStream, "__init__", init)
    monkeypatch.setattr(output, "_assemble_table", assemble)
    return calls


@pytest.mark.parametrize(
    ("case", "chunk_size", "fmt", "streamed"),
    [
        ("synthetic", 50, "parquet", True),  # every part has the same schema: streamed
        ("synthetic", 50, "csv", True),
        ("fixtures", 3, "parquet", False),  # small parts differ (a column null in all rows)
        ("fixtures", 3, "csv", False),
    ],
)
def test_final_files_streamed_during_the_run_equal_those_assembled_at_the_end(
    tmp_path, monkeypatch, case, chunk_size, fmt, streamed
):
    """The final tables are written part by part while the run goes on; when the parts do
    not share one schema they are assembled at the end. Both give byte-identical files."""
    if case == "synthetic":
        inputs = [str(synthetic_jsonl(tmp_path / "in.jsonl", 300, seed=7))]
    else:
        inputs = fixture_inputs()
    seen = spy_on_assembly(monkeypatch)
    run(inputs, tmp_path / "streamed", chunk_size=chunk_size, format=fmt, jobs=2)
    assert (not seen) == streamed, seen
    monkeypatch.undo()
    calls = _assemble_at_the_end(monkeypatch)
    run(inputs, tmp_path / "end", chunk_size=chunk_size, format=fmt)
    assert sorted(calls) == [f"articles.{fmt}", f"sentences.{fmt}"]
    for name in (f"sentences.{fmt}", f"articles.{fmt}", "errors.jsonl"):
        assert (tmp_path / "streamed" / name).read_bytes() == (tmp_path / "end" / name).read_bytes()


def test_parts_are_arrow_files_and_a_resumed_run_streams_them(tmp_path):
    """Parts are Arrow IPC files; a resumed run appends the kept parts like new ones."""
    import pyarrow as pa

    src = synthetic_jsonl(tmp_path / "in.jsonl", 100, seed=8)
    out = tmp_path / "out"
    with pytest.raises(InterruptedRun):
        run([str(src)], out, chunk_size=10, scorer=fakescorer.InterruptAfter(4))
    part = out / "parts" / "part-000000.arrow"
    with pa.OSFile(str(part)) as fh:
        table = pa.ipc.open_file(fh).read_all()
    assert table.num_rows and set(SENTENCE_COLUMNS) <= set(table.column_names)
    assert not list((out / "parts").glob("*.parquet"))
    assert not list(out.glob("*.tmp"))  # the final files begun during the run are removed
    resumed = run([str(src)], out, chunk_size=10, scorer=fakescorer.InterruptAfter(None),
                  resume=True)
    assert resumed.parts_resumed == 4 and resumed.closes
    run([str(src)], tmp_path / "full", chunk_size=10, scorer=fakescorer.InterruptAfter(None))
    for name in ("sentences.parquet", "articles.parquet", "errors.jsonl"):
        assert (out / name).read_bytes() == (tmp_path / "full" / name).read_bytes()


def test_dask_gives_the_same_files_as_local(tmp_path):
    src = synthetic_jsonl(tmp_path / "in.jsonl", 200, seed=2)
    inputs = [str(src), *fixture_inputs()]
    run(inputs, tmp_path / "local", chunk_size=40)
    result = run(inputs, tmp_path / "dask", chunk_size=40, engine="dask", jobs=2)
    assert result.closes
    assert_same_outputs(tmp_path / "local", tmp_path / "dask")
    info = json.loads((tmp_path / "dask" / "run.json").read_text())
    assert info["environment"]["engine"] == "dask"
    assert info["environment"]["libraries"]["distributed"]


def test_dask_missing_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(BiaskitError, match=r"pip install 'biaskit\[dask\]'"):
        run(fixture_inputs(), tmp_path / "out", engine="dask")
    assert not (tmp_path / "out" / ".lock").exists()


# --------------------------------------------------------------------------- output directory


def test_non_empty_output_directory_is_refused(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match=r"not empty \(notes.txt\).*resume=True.*overwrite=True"):
        run(fixture_inputs(), out)
    with pytest.raises(OutputError, match="no biaskit run to resume"):
        run(fixture_inputs(), out, resume=True)
    assert (out / "notes.txt").read_text() == "mine"
    assert not (out / ".lock").exists()


def test_overwrite_replaces_only_our_files(tmp_path):
    out = tmp_path / "out"
    first = run(fixture_inputs(), out)
    with pytest.raises(OutputError, match="not empty"):
        run(fixture_inputs(), out)
    (out / "notes.txt").write_text("mine")
    second = run([str(FIX / "docs.tsv")], out, overwrite=True)
    assert second.rows_read == 2 != first.rows_read
    assert (out / "notes.txt").read_text() == "mine"
    assert len(read_outputs(out)[1]) == 2


def test_output_path_that_is_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(OutputError, match="not a directory"):
        run(fixture_inputs(), f)


def test_a_live_lock_refuses_a_second_run_and_a_stale_one_is_taken_over(tmp_path, caplog):
    out = tmp_path / "out"
    out.mkdir()
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (out / ".lock").write_text(f"{other.pid} {os.uname().nodename}\n")
        with pytest.raises(OutputError, match=rf"in use by another biaskit run \(pid {other.pid}\)"):
            run(fixture_inputs(), out)
        assert (out / ".lock").exists()  # not ours to remove
    finally:
        other.kill()
        other.wait()
    with caplog.at_level(logging.WARNING, logger="biaskit.batch"):
        result = run(fixture_inputs(), out)
    assert result.closes
    assert "stale lock" in caplog.text and str(other.pid) in caplog.text
    assert not (out / ".lock").exists()


def test_concurrent_run_is_refused(tmp_path):
    """A real second process running into the same directory is refused by the lock."""
    src = synthetic_jsonl(tmp_path / "in.jsonl", 300)
    out = tmp_path / "out"
    proc = start_score(src, out, delay=0.5)
    try:
        wait_for(lambda: (out / ".lock").exists() and proc.poll() is None)
        with pytest.raises(OutputError, match="in use by another biaskit run"):
            run([str(src)], out, scorer=fakescorer.slow_analyze, chunk_size=20, resume=True)
    finally:
        proc.kill()
        proc.wait()


# --------------------------------------------------------------------------- resume


def test_killed_run_resumes_to_the_same_files(tmp_path, caplog):
    src = synthetic_jsonl(tmp_path / "in.jsonl", 2000, seed=3)
    out = tmp_path / "killed"
    proc = start_score(src, out, delay=0.2, chunk_size=50)
    try:
        wait_for(lambda: (out / "parts").exists() and complete_parts(out) >= 4
                 or proc.poll() is not None)
        assert proc.poll() is None, proc.stderr.read()
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait()
    done = complete_parts(out)
    assert 4 <= done < 40
    assert (out / ".lock").exists()  # left behind by the killed run
    with pytest.raises(OutputError, match="not empty"):
        run([str(src)], out, scorer=fakescorer.slow_analyze, chunk_size=50)
    with pytest.raises(OutputError, match=r"cannot resume.*chunk_size: was 50, now 60"):
        run([str(src)], out, scorer=fakescorer.slow_analyze, chunk_size=60, resume=True)

    with caplog.at_level(logging.WARNING, logger="biaskit.batch"):
        resumed = run([str(src)], out, scorer=fakescorer.slow_analyze, chunk_size=50, resume=True)
    assert "stale lock" in caplog.text
    assert resumed.parts == 40 and resumed.parts_resumed >= done
    assert resumed.closes and resumed.rows_read == 2000 == resumed.articles_scored

    full = run([str(src)], tmp_path / "full", scorer=fakescorer.slow_analyze, chunk_size=50)
    assert (full.rows_read, full.articles_scored, full.errors, full.sentences) == (
        resumed.rows_read, resumed.articles_scored, resumed.errors, resumed.sentences)
    assert_same_outputs(out, tmp_path / "full")
    assert pq.read_table(out / "sentences.parquet").equals(
        pq.read_table(tmp_path / "full" / "sentences.parquet"))

    # resuming a finished run changes nothing
    again = run([str(src)], out, scorer=fakescorer.slow_analyze, chunk_size=50, resume=True)
    assert again.rows_read == 2000 and again.parts_resumed == again.parts


def test_ctrl_c_raises_interrupted_run_and_resume_finishes(tmp_path):
    src = synthetic_jsonl(tmp_path / "in.jsonl", 100, seed=4)
    inputs = [str(src), *fixture_inputs()]
    out = tmp_path / "out"
    with pytest.raises(InterruptedRun, match=r"resume=True") as exc:
        run(inputs, out, chunk_size=10, scorer=fakescorer.InterruptAfter(3))
    assert exc.value.exit_code == 130
    assert complete_parts(out) == 3
    assert not (out / ".lock").exists()
    assert not (out / "sentences.parquet").exists()
    result = run(inputs, out, chunk_size=10, scorer=fakescorer.InterruptAfter(None), resume=True)
    assert result.parts_resumed == 3 and result.closes
    run(inputs, tmp_path / "full", chunk_size=10, scorer=fakescorer.InterruptAfter(None))
    assert_same_outputs(out, tmp_path / "full")


def test_sigint_with_worker_processes_exits_cleanly(tmp_path):
    src = synthetic_jsonl(tmp_path / "in.jsonl", 1000, seed=5)
    out = tmp_path / "out"
    stderr, workers = interrupt_after_parts(src, out, signal.SIGINT, delay=0.3, chunk_size=20,
                                            jobs=2)
    assert "InterruptedRun" in stderr and "resume=True" in stderr
    assert not (out / ".lock").exists()
    assert complete_parts(out) >= 2
    assert workers and not reap(sorted(workers), grace=5.0)  # the workers were stopped too



class _SigtermInFinalizer:
    """Sends SIGTERM to this process from ``__del__``: the handler's KeyboardInterrupt is
    raised inside a finalizer, where Python drops it ("Exception ignored in ...")."""

    def __del__(self):
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(100):  # the handler runs between two bytecodes in here
            sum(range(1000))


def test_a_sigterm_whose_exception_is_lost_still_stops_the_run(tmp_path, capsys):
    """The SIGTERM is still honoured after the part being scored, nothing is printed about
    the dropped exception, and the default SIGTERM action is restored afterwards."""
    src = synthetic_jsonl(tmp_path / "in.jsonl", 50, seed=7)
    out = tmp_path / "out"
    calls = []

    def scorer(docs):
        calls.append(len(docs))
        if len(calls) == 2:
            _SigtermInFinalizer()  # created and finalized at once
        return fakescorer.fake_analyze(docs)

    hook = sys.unraisablehook
    with pytest.raises(InterruptedRun, match="stopped by SIGTERM.*--resume"):
        run([str(src)], out, chunk_size=10, scorer=scorer)
    assert len(calls) == 2 and complete_parts(out) == 2  # part 2 finished, then stopped
    assert not (out / ".lock").exists()
    assert "Exception ignored" not in capsys.readouterr().err
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL and sys.unraisablehook is hook


@pytest.mark.slow
def test_sigterm_stops_a_run_like_ctrl_c(tmp_path):
    """SIGTERM (kill, a scheduler's stop): InterruptedRun naming SIGTERM and --resume, the
    lock released, the complete parts kept, no worker left; resume finishes the run."""
    src = synthetic_jsonl(tmp_path / "in.jsonl", 600, seed=6)
    out = tmp_path / "out"
    stderr, workers = interrupt_after_parts(src, out, signal.SIGTERM, delay=0.3, chunk_size=20,
                                            jobs=2)
    assert "InterruptedRun: stopped by SIGTERM; the complete parts are kept" in stderr, stderr
    assert "--resume" in stderr
    assert not (out / ".lock").exists()
    assert workers and not reap(sorted(workers), grace=5.0)
    done = complete_parts(out)
    resumed = run([str(src)], out, scorer=fakescorer.slow_analyze, chunk_size=20, resume=True)
    assert resumed.closes and resumed.parts_resumed >= done >= 2


# --------------------------------------------------------------------------- options


def test_options_object_and_overrides(tmp_path):
    opts = ScoreOptions(chunk_size=5, jobs=1, quiet=True, scorer=fakescorer.fake_analyze)
    result = score([str(FIX / "docs.tsv")], tmp_path / "a", opts, chunk_size=1)
    assert result.parts == 2
    with pytest.raises(TypeError, match=r"unknown option\(s\) chunksize"):
        score([str(FIX / "docs.tsv")], tmp_path / "b", opts, chunksize=3)
    assert biaskit.score is score


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"chunk_size": 0}, "chunk_size must be a positive integer"),
        ({"jobs": 0}, "jobs must be a positive integer"),
        ({"engine": "spark"}, "engine must be 'local' or 'dask'"),
        ({"format": "xlsx"}, "format must be 'parquet' or 'csv'"),
        ({"resume": True, "overwrite": True}, "exclude each other"),
        ({"scheduler": "tcp://x:8786"}, "engine='dask'"),
    ],
)
def test_bad_options(kw, message):
    with pytest.raises(InputError, match=message):
        ScoreOptions(**kw)


def test_column_mapping_and_missing_text_column(tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("id,site,body\n1,a,Hello there. Bye.\n")
    with pytest.raises(InputError, match="no column 'text'"):
        run([str(src)], tmp_path / "x")
    out = tmp_path / "out"
    run([str(src)], out, id_col="id", outlet_col="site", text_col="body")
    sentences, articles, _ = read_outputs(out)
    assert articles["doc_id"].tolist() == ["1"] and articles["outlet"].tolist() == ["a"]


def test_progress_bar_off_without_a_terminal():
    from biaskit.batch import _progress

    bar = _progress(ScoreOptions(), 10)  # pytest captures stderr: not a TTY
    assert bar.disable
    bar.close()


# --------------------------------------------------------------------------- the real model


def test_real_model_end_to_end(tmp_path):
    """The default path: biaskit.analysis.analyze with the shipped model."""
    from biaskit.persist import default_model_path, read_card

    out = tmp_path / "one"
    result = score(fixture_inputs(), out, jobs=1, chunk_size=5, quiet=True)
    assert result.closes and result.articles_scored == 17 and result.errors == 12
    sentences, articles, errors = read_outputs(out)
    card = read_card(default_model_path())
    info = json.loads((out / "run.json").read_text())
    assert info["model"]["sha256"] == card["sha256"]
    assert info["model"]["card"] == card
    assert info["model"]["scorer"] == "biaskit.analysis.analyze"
    assert set(sentences["model_version"]) == {info["model"]["version"]}
    assert list(sentences.columns[: len(SENTENCE_COLUMNS)]) == list(SENTENCE_COLUMNS)
    assert sentences["attribution"].any() and sentences["claim"].any()
    assert str(sentences["source_start"].dtype) == "Int64"  # nullable ints survive the parts
    assert articles["n_sentences"].sum() + articles["n_promo"].sum() == len(sentences)
    storm = sentences[sentences["doc_id"] == "harbor-gazette/storm.html"]
    assert storm["text"].iloc[0] == "Storm knocks out power to 40,000 homes"
    assert storm["attribution"].any()


@pytest.mark.slow
def test_real_model_two_jobs_and_dask_match_one_job(tmp_path):
    score(fixture_inputs(), tmp_path / "one", jobs=1, chunk_size=5, quiet=True)
    score(fixture_inputs(), tmp_path / "two", jobs=2, chunk_size=5, quiet=True)
    assert_same_outputs(tmp_path / "one", tmp_path / "two")
    score(fixture_inputs(), tmp_path / "dask", engine="dask", jobs=2, chunk_size=5, quiet=True)
    assert_same_outputs(tmp_path / "one", tmp_path / "dask")
