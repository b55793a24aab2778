"""Saved form of the featurizer: vocabularies and feature names as numpy string arrays.

``SentenceFeaturizer.__getstate__`` packs each fitted vectoriser's vocabulary (term → column)
and the feature names into unicode arrays, one ``.npy`` file each instead of one skops schema
node per string, which made loading the default model slow. What is checked here: the packed
file holds no vocabulary dict and no object array, loads with biaskit's trusted types and
without pickle, and gives back equal attributes (same types) and the same matrix, bit for bit;
models saved before the change (the plain ``__dict__``) still load; the trusted-type checks of
``persist._load`` still refuse what they refused.
"""

from __future__ import annotations

import copy
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import skops.io as sio
from sklearn.base import clone

from biaskit.corpus import load
from biaskit.errors import ModelError
from biaskit.features import SentenceFeaturizer, _pack_vocabulary, _unpack_vocabulary
from biaskit.persist import (
    TRUSTED_TYPES,
    card_path,
    default_model_path,
    file_sha256,
    load_model,
    read_card,
    save_model,
)

COLUMNS = ["text", "in_quote", "is_headline", "sent_id", "paragraph"]
EXTRA = [
    "“We will win,” Gen. Lee said. Prices rose 3.5%.",
    "Ärger über die Straße: ÉCOLE, İstanbul and ǅ — ﬁne.",
    "",
    "You and I: the U.S. said 'no' on Monday, 12 May 2024!",
]


@pytest.fixture(scope="module")
def sentences() -> pd.DataFrame:
    table = load(Path(__file__).resolve().parent.parent / "corpora")[1][COLUMNS]
    extra = pd.DataFrame(
        {"text": EXTRA, "in_quote": [0.5, 0.0, 0.0, 0.2], "is_headline": False,
         "sent_id": 1, "paragraph": 1}
    )
    return pd.concat([table.head(1500), extra], ignore_index=True)


@pytest.fixture(scope="module", params=[None, (2, 3)], ids=["words", "words+chars"])
def fitted(request, sentences) -> SentenceFeaturizer:
    return SentenceFeaturizer(min_df=1, char_ngrams=request.param).fit(sentences.head(800))


def _vectorizers(feat: SentenceFeaturizer) -> list[str]:
    return [n for n in ("word_vectorizer_", "char_vectorizer_") if hasattr(feat, n)]


def _dump(obj, path: Path) -> Path:
    sio.dump(obj, path)
    return path


def _schema(path: Path) -> dict:
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("schema.json"))


def _nodes(node, found: list) -> list:
    if isinstance(node, dict):
        if "__loader__" in node:
            found.append(node)
        for value in node.values():
            _nodes(value, found)
    elif isinstance(node, list):
        for value in node:
            _nodes(value, found)
    return found


def _assert_same_csr(a: sp.csr_matrix, b: sp.csr_matrix) -> None:
    assert a.shape == b.shape
    for name in ("data", "indices", "indptr"):
        x, y = getattr(a, name), getattr(b, name)
        assert x.dtype == y.dtype, name
        assert np.array_equal(x, y), name


def _assert_same_fit(loaded: SentenceFeaturizer, feat: SentenceFeaturizer) -> None:
    assert sorted(vars(loaded)) == sorted(vars(feat))
    assert loaded.get_params() == feat.get_params()
    for name in _vectorizers(feat):
        a, b = getattr(loaded, name), getattr(feat, name)
        assert sorted(vars(a)) == sorted(vars(b))
        assert a.get_params() == b.get_params()
        assert a.vocabulary_ == b.vocabulary_
        assert all(type(k) is str and type(v) is int for k, v in a.vocabulary_.items())
    assert loaded.feature_names_.dtype == object
    assert loaded.feature_names_.tolist() == feat.feature_names_.tolist()
    assert all(type(t) is str for t in loaded.feature_names_)
    assert np.array_equal(loaded.get_feature_names_out(), feat.get_feature_names_out())


def test_the_saved_form_is_compact_and_needs_no_pickle(tmp_path, fitted) -> None:
    path = _dump(fitted, tmp_path / "f.skops")
    nodes = _nodes(_schema(path), [])
    # a handful of nodes, not one per term and feature name
    assert len(nodes) < 200, len(nodes)
    arrays = [n for n in nodes if n["__class__"] == "ndarray"]
    assert arrays and all(n["type"] == "numpy" for n in arrays)  # no object arrays (json)
    assert all("vocabulary_" not in n.get("content", {}).get("content", {}) for n in nodes
               if n["__class__"] == "CountVectorizer")
    with zipfile.ZipFile(path) as archive:
        for n in arrays:
            np.lib.format.read_array(archive.open(n["file"]), allow_pickle=False)
    assert not set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES)


def test_a_save_and_load_gives_the_same_fit_and_the_same_matrix(tmp_path, fitted, sentences):
    vocabularies = [getattr(fitted, n).vocabulary_ for n in _vectorizers(fitted)]
    before = fitted.transform(sentences)
    loaded = sio.load(_dump(fitted, tmp_path / "f.skops"), trusted=list(TRUSTED_TYPES))
    _assert_same_fit(loaded, fitted)
    _assert_same_csr(loaded.transform(sentences), before)
    # saving left the fitted featurizer as it was (its word-table caches are keyed by the
    # vocabulary object)
    assert [getattr(fitted, n).vocabulary_ for n in _vectorizers(fitted)] == vocabularies
    for name, vocabulary in zip(_vectorizers(fitted), vocabularies, strict=True):
        assert getattr(fitted, name).vocabulary_ is vocabulary
    assert "_packed_state" not in vars(fitted) and "_packed_state" not in vars(loaded)
    _assert_same_csr(fitted.transform(sentences), before)


def test_pickle_deepcopy_and_clone(fitted, sentences) -> None:
    before = fitted.transform(sentences)
    for other in (pickle.loads(pickle.dumps(fitted)), copy.deepcopy(fitted)):
        _assert_same_fit(other, fitted)
        _assert_same_csr(other.transform(sentences), before)
    unfitted = clone(fitted)
    assert unfitted.get_params() == fitted.get_params()
    assert not hasattr(unfitted, "feature_names_")


def test_a_model_saved_before_the_change_still_loads(tmp_path, fitted, sentences, monkeypatch):
    # the saved state before the change: the plain __dict__ (what BaseEstimator gives)
    with monkeypatch.context() as m:
        m.setattr(SentenceFeaturizer, "__getstate__", lambda self: dict(self.__dict__))
        path = _dump(fitted, tmp_path / "old.skops")
    nodes = _nodes(_schema(path), [])
    assert any("vocabulary_" in n.get("content", {}).get("content", {}) for n in nodes
               if n["__class__"] == "CountVectorizer")
    assert any(n["__class__"] == "ndarray" and n["type"] == "json" for n in nodes)
    loaded = sio.load(path, trusted=list(TRUSTED_TYPES))
    _assert_same_fit(loaded, fitted)
    _assert_same_csr(loaded.transform(sentences), fitted.transform(sentences))
    # and it saves in the new form
    again = sio.load(_dump(loaded, tmp_path / "new.skops"), trusted=list(TRUSTED_TYPES))
    _assert_same_fit(again, fitted)


@pytest.mark.parametrize(
    ("vocabulary", "packs", "columns"),
    [
        ({"b": 1, "a": 0, "c c": 2}, True, False),  # columns 0..n-1: the terms alone
        ({"b": 5, "a": 0, "c": 2}, True, True),  # gaps: terms and columns
        ({"b": 0, "a": 0}, True, True),  # repeated columns
        ({"a\x00": 0, "b": 1}, False, False),  # a trailing NUL would be lost
        ({"a": np.int64(0), "b": np.int64(1)}, False, False),  # numpy ints stay numpy ints
        ({"a": True}, False, False),
        ({}, False, False),
        (None, False, False),
    ],
)
def test_pack_vocabulary(vocabulary, packs, columns) -> None:
    arrays = _pack_vocabulary(vocabulary)
    assert (arrays is not None) == packs
    if arrays is None:
        return
    assert ("columns" in arrays) == columns
    assert all(a.dtype.kind in "Ui" for a in arrays.values())
    back = _unpack_vocabulary(arrays)
    assert back == vocabulary
    assert all(type(k) is str and type(v) is int for k, v in back.items())


def test_one_very_long_term_keeps_the_vocabulary_unpacked() -> None:
    # a unicode array pads every term to the longest: 20,000 short terms and one of 60,000
    # characters would take 4.8 GB packed, so they stay a dict (size follows the characters)
    vocabulary = {f"t{i:05d}": i for i in range(20_000)}
    vocabulary["x" * 60_000] = 20_000
    assert _pack_vocabulary(vocabulary) is None
    normal = {f"t{i:05d}": i for i in range(20_000)}
    assert _pack_vocabulary(normal)["terms"].dtype == np.dtype("<U6")


def test_a_vocabulary_that_does_not_pack_is_saved_as_it_is(tmp_path, sentences) -> None:
    feat = SentenceFeaturizer(min_df=1).fit(sentences.head(200))
    feat.word_vectorizer_.vocabulary_ = {
        k: np.int64(v) for k, v in feat.word_vectorizer_.vocabulary_.items()
    }
    loaded = sio.load(_dump(feat, tmp_path / "f.skops"), trusted=list(TRUSTED_TYPES))
    assert loaded.word_vectorizer_.vocabulary_ == feat.word_vectorizer_.vocabulary_
    _assert_same_csr(loaded.transform(sentences), feat.transform(sentences))


@pytest.fixture(scope="module")
def resaved(tmp_path_factory) -> Path:
    """The shipped model saved again through ``persist.save_model``."""
    path = tmp_path_factory.mktemp("resaved") / "resaved.skops"
    shipped = load_model(default_model_path())
    return save_model(shipped.pipeline, path, read_card(default_model_path()))


def test_the_shipped_model_saved_again_predicts_the_same(resaved, sentences) -> None:
    shipped = load_model(default_model_path()).pipeline
    again = load_model(resaved)
    assert again.card["sha256"] == file_sha256(resaved)
    X = sentences[COLUMNS]
    _assert_same_fit(again.pipeline.named_steps["features"], shipped.named_steps["features"])
    assert np.array_equal(again.pipeline.predict_proba(X), shipped.predict_proba(X))


def test_the_same_model_saved_twice_gives_the_same_bytes(resaved, tmp_path) -> None:
    # skops names members by id() and stamps the time; the saved file must not depend on
    # either, so that a model card's sha256 identifies the model (a rebuild can be compared)
    import zipfile

    shipped = load_model(default_model_path())
    again = save_model(shipped.pipeline, tmp_path / "again.skops", read_card(default_model_path()))
    assert again.read_bytes() == resaved.read_bytes()
    with zipfile.ZipFile(again) as archive:
        infos = archive.infolist()
    assert infos[0].filename == "schema.json"
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    stems = sorted(int(i.filename.split(".")[0]) for i in infos[1:])
    assert stems == sorted(set(stems)) and max(stems) < 10_000  # renumbered, not addresses


def _install(tmp_path: Path, content: bytes, card: dict) -> Path:
    path = tmp_path / "evil.skops"
    path.write_bytes(content)
    full = dict(card, sha256=file_sha256(path))
    card_path(path).write_text(json.dumps(full), encoding="utf-8")
    return path


def test_skops_own_check_still_refuses_what_the_schema_walk_misses(tmp_path, monkeypatch):
    """``_load`` leaves the types skops does not trust by default to ``skops.io.load``.

    With the schema walk switched off, such a type (``fractions.Fraction``) is still refused,
    with the same message, before anything is built.
    """
    import fractions

    import biaskit.persist as persist

    content = _dump({"features": fractions.Fraction(1, 3)}, tmp_path / "x.skops").read_bytes()
    path = _install(tmp_path, content, read_card(default_model_path()))
    with pytest.raises(ModelError, match="holds types biaskit does not trust") as exc:
        load_model(path)
    assert "fractions.Fraction" in str(exc.value)
    monkeypatch.setattr(persist, "_schema_types", lambda schema: set())
    with pytest.raises(ModelError, match="holds types biaskit does not trust") as exc:
        load_model(path)
    assert "fractions.Fraction" in str(exc.value)
    assert "only load models you trained yourself with `biaskit train`" in str(exc.value)


def test_corrupt_bytes_in_a_packed_file_are_refused(tmp_path, resaved) -> None:
    raw = bytearray(resaved.read_bytes())
    middle = len(raw) // 2
    raw[middle : middle + 4096] = bytes(b ^ 0xFF for b in raw[middle : middle + 4096])
    path = _install(tmp_path, bytes(raw), read_card(resaved))
    with pytest.raises(ModelError, match="corrupt or truncated"):
        load_model(path)
