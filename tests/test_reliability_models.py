"""Reliability of model loading (issue 10): what is refused, and that the message says why.

Every case works on a temporary copy of the shipped ``default.skops`` and its card. Where the
point is the type check, the card is re-hashed to match the crafted file (an attacker who
supplies the file supplies its card too): the trusted-type list must stop it on its own.
"""

from __future__ import annotations

import collections
import json
import pickle
import shutil
import zipfile
from pathlib import Path

import pytest
import skops.io as sio

import biaskit
from biaskit.errors import ModelError
from biaskit.persist import (
    MODEL_FORMAT,
    TRUSTED_TYPES,
    card_path,
    default_model_path,
    file_sha256,
    load_model,
)


@pytest.fixture(scope="module")
def shipped():
    path = default_model_path()
    return path, json.loads(card_path(path).read_text(encoding="utf-8"))


def install(tmp_path: Path, shipped, name: str, content: bytes | None = None, *,
            card: dict | None = None, rehash: bool = True) -> Path:
    """Write ``name.skops`` (the shipped bytes or ``content``) and a card next to it."""
    src, shipped_card = shipped
    path = tmp_path / f"{name}.skops"
    if content is None:
        shutil.copyfile(src, path)
    else:
        path.write_bytes(content)
    full = dict(shipped_card)
    if rehash:
        full["sha256"] = file_sha256(path)
    full.update(card or {})
    card_path(path).write_text(json.dumps(full), encoding="utf-8")
    return path


def dumped(obj, tmp_path: Path) -> bytes:
    tmp = tmp_path / "obj.skops.tmp"
    sio.dump(obj, tmp)
    return tmp.read_bytes()


def test_a_copy_of_the_shipped_model_loads_and_tags(tmp_path, shipped):
    model = load_model(install(tmp_path, shipped, "copy"))
    table = biaskit.analyze("“We will win,” Gen. Lee said. Prices rose 3.5%.", model=model)
    assert table["attribution"].iloc[0]


def test_the_shipped_model_holds_only_trusted_types():
    from biaskit.persist import _types_in_file

    found = _types_in_file(default_model_path())
    assert found <= set(TRUSTED_TYPES)
    assert "sklearn.pipeline.Pipeline" in found and "biaskit.model.SentenceTagger" in found


@pytest.mark.parametrize(
    ("make", "type_name"),
    [
        # both are trusted by skops' own defaults: get_untrusted_types() alone let them through
        (lambda: __import__("sklearn.pipeline").pipeline.Pipeline(
            [("features", __import__("sklearn.svm").svm.SVC()),
             ("tagger", __import__("sklearn.svm").svm.SVC())]), "sklearn.svm._classes.SVC"),
        (lambda: collections.OrderedDict(a=1), "collections.OrderedDict"),
        (lambda: {"features": collections.Counter("ab")}, "collections.Counter"),
    ],
    ids=["svc-pipeline", "ordered-dict", "counter"],
)
def test_a_type_outside_the_trusted_list_is_refused(tmp_path, shipped, make, type_name):
    path = install(tmp_path, shipped, "evil", dumped(make(), tmp_path))
    with pytest.raises(ModelError, match="holds types biaskit does not trust") as exc:
        load_model(path)
    assert type_name in str(exc.value)
    assert "only load models you trained yourself with `biaskit train`" in str(exc.value)
    with pytest.raises(ModelError, match="does not trust"):
        load_model(path, check_hash=False)


def test_saving_a_model_with_an_untrusted_type_is_refused(tmp_path):
    from sklearn.pipeline import Pipeline
    from sklearn.svm import SVC

    from biaskit.persist import save_model

    with pytest.raises(ModelError, match=r"outside persist.TRUSTED_TYPES: sklearn.svm._classes.SVC"):
        save_model(Pipeline([("features", SVC()), ("tagger", SVC())]), tmp_path / "m.skops", {})
    assert not list(tmp_path.iterdir())  # the temporary file is removed


@pytest.mark.parametrize("keep", [0.5, 0.99, 0.0])
def test_a_truncated_file_is_refused(tmp_path, shipped, keep):
    raw = default_model_path().read_bytes()
    path = install(tmp_path, shipped, "cut", raw[: int(len(raw) * keep)])
    with pytest.raises(ModelError, match="not a skops model file.*truncated download"):
        load_model(path)


def test_a_truncated_file_with_the_old_card_fails_the_hash_check(tmp_path, shipped):
    raw = default_model_path().read_bytes()
    path = install(tmp_path, shipped, "cut", raw[: len(raw) // 2], rehash=False)
    with pytest.raises(ModelError, match="does not match its card.*retrain or restore both"):
        load_model(path)


def test_corrupt_bytes_inside_the_archive_are_refused(tmp_path, shipped):
    raw = bytearray(default_model_path().read_bytes())
    middle = len(raw) // 2
    raw[middle:middle + 4096] = bytes(b ^ 0xFF for b in raw[middle:middle + 4096])
    path = install(tmp_path, shipped, "flipped", bytes(raw))
    with pytest.raises(ModelError, match="corrupt or truncated|could not be loaded"):
        load_model(path)


def test_a_zip_that_is_not_a_skops_file_is_refused(tmp_path, shipped):
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("readme.txt", "not a model")
    path = install(tmp_path, shipped, "zip", other.read_bytes())
    with pytest.raises(ModelError, match="corrupt or truncated.*schema.json"):
        load_model(path)


@pytest.mark.parametrize(
    "payload",
    [pickle.dumps({"a": 1}), pickle.dumps(collections.OrderedDict(a=1), protocol=2), b""],
    ids=["pickle", "pickle-protocol-2", "empty"],
)
def test_a_pickle_renamed_skops_is_refused_without_unpickling(tmp_path, shipped, payload):
    path = install(tmp_path, shipped, "renamed", payload)
    with pytest.raises(ModelError, match=r"not a skops model file \(not a zip archive: a pickle"):
        load_model(path)


def test_a_pickle_that_would_run_code_is_never_unpickled(tmp_path, shipped):
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (Path.touch, (marker,))

    path = install(tmp_path, shipped, "evil", pickle.dumps(Evil()))
    with pytest.raises(ModelError, match="not a skops model file"):
        load_model(path)
    assert not marker.exists()


def test_a_model_from_an_incompatible_version_is_refused(tmp_path, shipped):
    path = install(tmp_path, shipped, "future",
                   card={"model_format": MODEL_FORMAT + 1, "biaskit_version": "9.0.0"})
    with pytest.raises(ModelError) as exc:
        load_model(path)
    message = str(exc.value)
    assert f"made by biaskit 9.0.0 with model format {MODEL_FORMAT + 1}" in message
    assert "this biaskit reads format 1 or 2" in message
    assert "Retrain it with `biaskit train` or install the matching biaskit version" in message


def test_a_format_1_model_still_loads(tmp_path, shipped, monkeypatch):
    # format 1 saved the featurizer's plain __dict__ (vocabularies as dicts) and is read as
    # before: the shipped model written that way, with a format-1 card, predicts the same
    from biaskit.features import SentenceFeaturizer
    from biaskit.persist import file_sha256, load_model

    model = load_model(shipped[0])
    path = tmp_path / "old.skops"
    with monkeypatch.context() as mp:
        mp.setattr(SentenceFeaturizer, "__getstate__", lambda self: dict(self.__dict__))
        sio.dump(model.pipeline, path)
    card = dict(model.card, model_format=1, sha256=file_sha256(path), model_file=path.name)
    card_path(path).write_text(json.dumps(card))
    table = biaskit.analyze("Officials said the reckless plan failed, a report found.", model)
    again = biaskit.analyze("Officials said the reckless plan failed, a report found.", path)
    assert again["p_framing"].tolist() == table["p_framing"].tolist()
    assert again["p_attribution"].tolist() == table["p_attribution"].tolist()


def test_a_card_without_model_format_is_refused(tmp_path, shipped):
    path = install(tmp_path, shipped, "old")
    card = json.loads(card_path(path).read_text())
    del card["model_format"]
    card_path(path).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="model format None"):
        load_model(path)


def test_a_card_hash_mismatch_is_detected(tmp_path, shipped):
    path = install(tmp_path, shipped, "swapped", card={"sha256": "0" * 64})
    with pytest.raises(ModelError) as exc:
        load_model(path)
    digest = file_sha256(path)
    assert f"does not match its card (sha256 {digest[:12]}… ≠ 000000000000…)" in str(exc.value)
    # the one-byte change a hand edit makes is caught the same way
    raw = bytearray(default_model_path().read_bytes())
    raw[-1] ^= 1
    path.write_bytes(bytes(raw))
    card_path(path).write_text(json.dumps(shipped[1]))
    with pytest.raises(ModelError, match="does not match its card"):
        load_model(path)


@pytest.mark.parametrize(
    ("card_text", "message"),
    [
        ("[]", "is not a JSON object"),
        ('"a string"', "is not a JSON object"),
        ("{not json", "is not valid JSON"),
        (b"\xff\xfe\x00".decode("latin-1"), "is not valid JSON"),
    ],
)
def test_a_broken_card_is_a_model_error(tmp_path, shipped, card_text, message):
    path = install(tmp_path, shipped, "card")
    card_path(path).write_text(card_text, encoding="utf-8")
    with pytest.raises(ModelError, match=message):
        load_model(path)


@pytest.mark.parametrize("drop", ["labels", "thresholds"])
def test_a_card_without_labels_or_thresholds_is_refused(tmp_path, shipped, drop):
    path = install(tmp_path, shipped, "partial")
    card = json.loads(card_path(path).read_text())
    del card[drop]
    card_path(path).write_text(json.dumps(card))
    with pytest.raises(ModelError, match="lacks the labels or their thresholds"):
        load_model(path)


def test_trusted_types_in_the_wrong_shape_are_refused(tmp_path, shipped):
    path = install(tmp_path, shipped, "dict", dumped({"features": [1, 2]}, tmp_path))
    with pytest.raises(ModelError, match="holds a dict, not a biaskit pipeline"):
        load_model(path)


def test_missing_model_and_missing_card(tmp_path, shipped):
    with pytest.raises(ModelError, match="model file not found"):
        load_model(tmp_path / "absent.skops")
    lone = tmp_path / "lone.skops"
    shutil.copyfile(default_model_path(), lone)
    with pytest.raises(ModelError, match=r"model card lone.card.json not found next to lone.skops"):
        load_model(lone)


def test_analyze_and_score_pass_model_errors_through(tmp_path, shipped):
    path = install(tmp_path, shipped, "future", card={"model_format": MODEL_FORMAT + 1})
    with pytest.raises(ModelError, match="model format"):
        biaskit.analyze("One sentence.", model=path)
    docs = tmp_path / "in.jsonl"
    docs.write_text('{"doc_id": "a", "text": "One sentence."}\n')
    with pytest.raises(ModelError, match="model format"):
        biaskit.score([str(docs)], tmp_path / "out", model=path, jobs=1, quiet=True)
    assert not (tmp_path / "out" / ".lock").exists()
