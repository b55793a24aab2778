"""Tests of the batch engine's conversions and workers: known Arrow types, fork or spawn.

The part tables are converted with the Arrow types of ``schema.sentence_arrow_types`` when
their values fit (faster than inference, and the same types in every part); the local pool
forks its workers where that is safe and spawns them elsewhere, with the same results.
"""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from biaskit.analysis import analyze
from biaskit.batch import engines, output, score
from biaskit.persist import load_model
from biaskit.schema import sentence_arrow_types

FIX = Path(__file__).parent / "fixtures" / "batch"
if str(FIX) not in sys.path:  # spawned workers inherit sys.path and import the fake scorers
    sys.path.insert(0, str(FIX))
import fakescorer  # noqa: E402
from _helpers import spy_on_assembly  # noqa: E402

#: tagged by the shipped model with no tag at all: every nested list of its row is empty
PLAIN = "The sky was blue."
#: claims, attributions and framing: nested lists with values
RICH = (
    "“This is a disgraceful, reckless scheme,” the mayor said. Prices rose 3.5% in May, the "
    "statistics office said. Critics called the plan a reckless gamble."
)
NESTED = ("attribution_kind", "framing_kind", "quoted_framing_kind", "evidence", "attributions")


def _documents(texts: list[str]) -> pd.DataFrame:
    n = len(texts)
    return pd.DataFrame(
        {
            "doc_id": [f"d{i}" for i in range(n)],
            "outlet": ["o"] * n,
            "title": [None] * n,
            "text": texts,
            "published": [None] * n,
            "url": [None] * n,
        }
    )


@pytest.fixture(scope="module")
def tagged() -> pd.DataFrame:
    return analyze(_documents([PLAIN, RICH]), load_model())


def _inferred(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, preserve_index=False)


def test_known_types_give_the_table_inference_gives(tagged):
    """On the analysis output the known types are the inferred ones, pandas notes included."""
    got, want = engines._to_arrow(tagged), _inferred(tagged)
    assert got.schema.equals(want.schema, check_metadata=True)
    assert got.equals(want)
    for name, type_ in sentence_arrow_types().items():
        assert got.schema.field(name).type == type_, name


def test_one_thread_converts_and_writes_the_table_the_thread_pool_does(tagged, tmp_path):
    """Conversion, part file and reading back run on one thread: the same table, bit for bit,
    as Arrow's thread pool gives (the part holds what the threaded conversion held)."""
    schema = engines._known_schema(tagged, engines._sentence_texts())
    threaded = pa.Table.from_pandas(tagged, schema=schema, preserve_index=False, nthreads=4)
    assert engines._ipc_options().use_threads is False
    path = tmp_path / "part.arrow"
    path.write_bytes(engines._arrow_bytes(tagged, engines._sentence_texts()))
    back = output._read_part(path)
    assert back.schema.equals(threaded.schema, check_metadata=True)
    assert back.equals(threaded)
    other = pd.DataFrame({"a": [1, 2], "b": [["x"], []], "c": [{"k": 1.5}, None]})  # inferred
    assert engines._known_schema(other, {}) is None
    want = pa.Table.from_pandas(other, preserve_index=False, nthreads=4)
    assert engines._to_arrow(other).equals(want)


def test_all_empty_lists_keep_their_item_types(tagged):
    plain = tagged[tagged["doc_id"] == "d0"].reset_index(drop=True)
    assert all(len(cell) == 0 for name in NESTED for cell in plain[name])
    assert _inferred(plain).schema.field("evidence").type == pa.list_(pa.null())  # the old way
    assert plain["source"].isna().all()
    texts = engines._sentence_texts()
    table = engines._to_arrow(plain, texts)
    for name in NESTED:
        assert table.schema.field(name).type == sentence_arrow_types()[name], name
    rich = engines._to_arrow(tagged[tagged["doc_id"] == "d1"].reset_index(drop=True), texts)
    assert table.schema.remove_metadata().equals(rich.schema.remove_metadata())
    assert table.schema.field("source").type == _inferred(tagged).schema.field("source").type


@pytest.mark.parametrize(
    "change",
    [
        "extra evidence key",
        "missing evidence key",
        "extra span key",
        "other kind_proba labels",
        "kinds as strings",
    ],
)
def test_values_of_another_shape_are_inferred_and_nothing_is_dropped(tagged, change):
    """A struct type would silently drop unknown keys: such columns are inferred instead."""
    frame = tagged.copy()
    row = int(frame["attributions"].map(len).to_numpy().nonzero()[0][0])
    if change == "extra evidence key":
        frame.at[row, "evidence"] = [{**frame.at[row, "evidence"][0], "note": "x"}]
    elif change == "missing evidence key":
        item = dict(frame.at[row, "evidence"][0])
        del item["rule"]
        frame.at[row, "evidence"] = [item]
    elif change == "extra span key":
        att = dict(frame.at[row, "attributions"][0])
        att["cue"] = {**att["cue"], "lemma": "say"}
        frame.at[row, "attributions"] = [att]
    elif change == "other kind_proba labels":
        frame.at[row, "kind_proba"] = {"claim": 0.5}
    else:  # a list type would make each a list of characters
        frame["attribution_kind"] = pd.Series(["hedged"] * len(frame), dtype=object)
    got, want = engines._to_arrow(frame), _inferred(frame)
    assert got.schema.equals(want.schema, check_metadata=True)
    assert got.equals(want)


def test_a_custom_scorer_table_is_converted_as_before_but_empty_kind_lists():
    """The fake scorer's evidence has other fields: inferred. Its kind lists, empty in every
    row, are ``list<string>`` (inference: ``list<null>``), as in every other part."""
    frame = fakescorer.fake_analyze(_documents([RICH, PLAIN]))
    got, want = engines._to_arrow(frame), _inferred(frame)
    for field in want.schema:
        if field.type == pa.list_(pa.null()):
            assert got.schema.field(field.name).type == pa.list_(pa.string()), field.name
        else:
            assert got.schema.field(field.name).type == field.type, field.name
    assert got.schema.field("evidence").type.value_type.num_fields == 5
    assert got.equals(want.cast(got.schema))


def test_a_part_of_empty_lists_then_one_with_values_is_streamed(tmp_path, monkeypatch):
    """Part 0 has no nested value at all, part 1 has some: the final files are written
    while the run goes on (no end-of-run assembly), and equal those of a one-part run and
    of the end-of-run assembly."""
    src = tmp_path / "in.jsonl"
    with open(src, "w", encoding="utf-8") as fh:
        for i, text in enumerate([PLAIN, RICH, PLAIN]):
            fh.write(json.dumps({"doc_id": f"d{i}", "outlet": "o", "text": text}) + "\n")
    assembled = spy_on_assembly(monkeypatch)
    score([str(src)], tmp_path / "parts", chunk_size=1, jobs=1, quiet=True)
    assert assembled == []
    score([str(src)], tmp_path / "one", chunk_size=10, jobs=1, quiet=True)
    real_init = output._TableStream.__init__

    def at_the_end(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        self.streaming = False

    monkeypatch.setattr(output._TableStream, "__init__", at_the_end)
    score([str(src)], tmp_path / "end", chunk_size=1, jobs=1, quiet=True)
    assert sorted(assembled) == ["articles.parquet", "sentences.parquet"]
    for name in ("sentences.parquet", "articles.parquet", "errors.jsonl"):
        assert (tmp_path / "parts" / name).read_bytes() == (tmp_path / "end" / name).read_bytes()
        if name.endswith(".parquet"):
            # the same types and rows as from one part (the pandas notes come from part 0,
            # whose missing sources are an object column there)
            streamed = pq.read_table(tmp_path / "parts" / name)
            single = pq.read_table(tmp_path / "one" / name)
            assert streamed.schema.remove_metadata().equals(single.schema.remove_metadata())
            assert streamed.equals(single), name
            pd.testing.assert_frame_equal(
                pd.read_parquet(tmp_path / "parts" / name), pd.read_parquet(tmp_path / "one" / name)
            )
    sentences = pq.read_table(tmp_path / "parts" / "sentences.parquet")
    assert sentences.schema.field("evidence").type.value_type.num_fields == 7


# --------------------------------------------------------------------------- fork or spawn


def test_workers_are_forked_only_from_a_single_thread(monkeypatch):
    if not sys.platform.startswith("linux"):
        assert engines._start_method() == "spawn"
        return
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert engines._start_method() == "fork"
    monkeypatch.setattr(threading, "active_count", lambda: 2)  # a progress bar, a notebook
    assert engines._start_method() == "spawn"
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert engines._start_method() == "spawn"


def test_an_explicitly_chosen_start_method_is_honoured(monkeypatch):
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setattr(engines.multiprocessing, "get_start_method", lambda allow_none: "spawn")
    assert engines._start_method() == "spawn"


def test_a_quiet_run_leaves_no_thread_behind(tmp_path):
    # a disabled tqdm starts a monitor thread that never stops; the next score(jobs>1) in
    # the process would then spawn instead of fork. Run in a fresh interpreter: this one has
    # threads from other tests.
    import subprocess

    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"doc_id": "d", "text": PLAIN}) + "\n", encoding="utf-8")
    code = (
        "import threading, biaskit\n"
        f"biaskit.score([{str(src)!r}], {str(tmp_path / 'out')!r}, jobs=1, quiet=True)\n"
        "print(sorted(t.name for t in threading.enumerate()))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=300
    ).stdout
    assert out.strip() == "['MainThread']"


def test_values_a_known_type_would_change_are_inferred():
    # a float offset would be truncated to int64 by the known struct type
    ev = {"tag": "claim", "kind": "lex", "term": "x", "start": 3.5, "end": 7.5, "weight": 1,
          "rule": "r"}
    frame = pd.DataFrame({"evidence": [[ev]]})
    table = engines._to_arrow(frame, engines._sentence_texts())
    assert table.column("evidence").to_pylist() == [[ev]]


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_forked_and_spawned_workers_give_the_same_files(tmp_path, monkeypatch, method):
    if method == "fork" and not sys.platform.startswith("linux"):
        pytest.skip("workers are forked on Linux only")  # the spawn case runs everywhere
    src = tmp_path / "in.jsonl"
    with open(src, "w", encoding="utf-8") as fh:
        for i in range(60):
            text = [PLAIN, RICH][i % 2] + f" It was day {i}."
            fh.write(json.dumps({"doc_id": f"d{i}", "outlet": f"o{i % 3}", "text": text}) + "\n")
    kw = {"scorer": fakescorer.fake_analyze, "chunk_size": 7, "quiet": True}
    score([str(src)], tmp_path / "one", jobs=1, **kw)
    used: list[str] = []
    real = engines._Pool.__init__

    def pool(self, jobs, model, scorer, method_=None):
        real(self, jobs, model, scorer, method)
        used.append(self.method)

    monkeypatch.setattr(engines._Pool, "__init__", pool)
    score([str(src)], tmp_path / "two", jobs=2, **kw)
    assert used == [method]
    for name in ("sentences.parquet", "articles.parquet", "errors.jsonl"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
