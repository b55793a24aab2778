"""Save and load models safely: skops with an explicit list of trusted types, plus a model card.

A model is two files side by side: ``NAME.skops`` (the fitted pipeline, skops format, never
pickle) and ``NAME.card.json`` (provenance, metrics, thresholds and the sha256 of the
``.skops`` file). Loading refuses a file that holds any type outside :data:`TRUSTED_TYPES`,
a file that is not a skops archive (a pickle renamed, a truncated download), a card whose
hash does not match, and a model made by an incompatible biaskit version.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import zipfile
import zlib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from biaskit import __version__
from biaskit.errors import ModelError

logger = logging.getLogger(__name__)

#: Model format version written by ``save_model``; bump when an older biaskit could not read
#: the file. 2: the featurizer stores its vocabularies as string arrays (format 1 stored them
#: as dicts; an older biaskit would load such a file without its vocabulary).
MODEL_FORMAT = 2
#: Formats this biaskit reads (format 1 files load as before).
READABLE_FORMATS = (1, 2)

#: Every type a biaskit model file may contain. Anything else is refused.
TRUSTED_TYPES: tuple[str, ...] = (
    "biaskit.features.SentenceFeaturizer",
    "biaskit.model.SentenceTagger",
    "builtins.dict",
    "builtins.float",
    "builtins.int",
    "builtins.list",
    "builtins.slice",
    "builtins.str",
    "builtins.tuple",
    "numpy.dtype",
    "numpy.float64",
    "numpy.int64",
    "numpy.ndarray",
    "scipy.sparse._csr.csr_matrix",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.feature_extraction.text.CountVectorizer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.model_selection._split.StratifiedKFold",
    "sklearn.pipeline.Pipeline",
)


def file_sha256(path: str | Path) -> str:
    """Hex sha256 of a file's bytes."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _schema_types(schema: Any) -> set[str]:
    """Every ``module.Class`` named by a node of a skops ``schema.json`` (parsed)."""
    found: set[str] = set()
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__class__" in node and "__module__" in node:
                found.add(f"{node['__module__']}.{node['__class__']}")
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def _read_schema(path: Path) -> Any:
    """The parsed ``schema.json`` of a skops file (``ModelError`` if unreadable)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return json.loads(archive.read("schema.json"))
    except Exception as exc:  # zipfile and json raise various errors on corrupt files
        raise ModelError(f"{path.name} is corrupt or truncated ({exc})") from exc


def _types_in_file(path: Path) -> set[str]:
    """Every type a skops file would instantiate, as ``module.Class``.

    ``skops.io.get_untrusted_types`` lists only the types outside skops' own default-trusted
    set (which includes most of scikit-learn and ``collections.OrderedDict``), so it cannot
    enforce :data:`TRUSTED_TYPES` on its own: the file's ``schema.json`` is walked as well.
    (:func:`_load` needs only the walk: ``skops.io.load`` makes the other check itself.)

    Raises
    ------
    ModelError
        If the archive has no readable schema.
    """
    import skops.io as sio

    found = _schema_types(_read_schema(path))
    try:
        found.update(sio.get_untrusted_types(file=path))
    except Exception as exc:  # skops raises various errors on corrupt files
        raise ModelError(f"{path.name} is corrupt or truncated ({exc})") from exc
    return found


def card_path(model_path: str | Path) -> Path:
    """``x.skops`` → ``x.card.json``."""
    p = Path(model_path)
    return p.with_name(p.name.removesuffix(".skops") + ".card.json")


#: what is numbered by ``id()`` of live objects in a saved model: skops' memo keys and array
#: file names, and scikit-learn's ``CountVectorizer._stop_words_id`` (compared with
#: ``id(stop_words)`` to skip a re-check, which a model loaded in another process does anyway)
_SKOPS_IDS = re.compile(
    r'("__id__": )(\d+)|("file": ")(\d+)(\.[a-z]+")'
    r'|("_stop_words_id": \{[^{}]*?"content": ")(\d+)(")'
)
#: the timestamp of every member of a saved model (zip's earliest), so that a file depends on
#: its content only
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def _canonical_archive(path: Path) -> None:
    """Rewrite a skops file so that the same model always gives the same bytes.

    skops names array members and memo keys by the ``id()`` of the objects (addresses that
    differ from run to run, as does scikit-learn's ``_stop_words_id``) and stamps members with
    the current time; they are replaced, in order of first appearance in the schema, by 0, 1,
    2, … and by a fixed date. The model card's
    sha256 then identifies the model, and a rebuild from the same corpus can be compared byte
    for byte.
    """
    with zipfile.ZipFile(path) as src:
        members = [(info, src.read(info)) for info in src.infolist()]
    numbers: dict[str, str] = {}

    def renumber(match: re.Match[str]) -> str:
        if match.group(1):
            return match.group(1) + numbers.setdefault(match.group(2), str(len(numbers)))
        if match.group(3):
            new = numbers.setdefault(match.group(4), str(len(numbers)))
            return match.group(3) + new + match.group(5)
        return match.group(6) + numbers.setdefault(match.group(7), str(len(numbers))) + '"'

    schema = {info.filename: data for info, data in members}.get("schema.json")
    if schema is None:
        return
    text = _SKOPS_IDS.sub(renumber, schema.decode("utf-8"))
    out: list[tuple[str, bytes]] = []
    for info, data in members:
        if info.filename == "schema.json":
            out.append((info.filename, text.encode("utf-8")))
            continue
        stem, dot, ext = info.filename.partition(".")
        # a member the schema does not name keeps its name (skops names none such today)
        out.append((numbers[stem] + dot + ext if stem in numbers else info.filename, data))
    out.sort(key=lambda item: (item[0] != "schema.json", item[0]))
    with zipfile.ZipFile(path, "w") as dst:
        for name, data in out:
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            dst.writestr(info, data, compresslevel=9)


def save_model(model: Any, path: str | Path, card: dict[str, Any]) -> Path:
    """Write ``model`` with skops and its card (JSON and Markdown) next to it.

    Parameters
    ----------
    model : sklearn.pipeline.Pipeline
        The fitted biaskit pipeline.
    path : str or Path
        Target ``.skops`` path.
    card : dict
        Model card content; ``sha256``, ``model_format`` and ``biaskit_version`` are added.

    Returns
    -------
    Path
        The ``.skops`` path.
    """
    import skops.io as sio

    path = Path(path)
    if path.suffix != ".skops":
        raise ModelError(f"model files end in .skops, got {path.name!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    sio.dump(model, tmp, compression=zipfile.ZIP_DEFLATED, compresslevel=9)
    _canonical_archive(tmp)
    # reliability fix (issue 10): every type in the file is checked, not only those skops
    # itself does not trust (see _types_in_file)
    untrusted = _types_in_file(tmp) - set(TRUSTED_TYPES)
    if untrusted:
        tmp.unlink()
        raise ModelError(
            f"model holds types outside persist.TRUSTED_TYPES: {', '.join(sorted(untrusted))}"
        )
    tmp.replace(path)
    full = dict(card)
    full.update(
        sha256=file_sha256(path),
        model_format=MODEL_FORMAT,
        biaskit_version=full.get("biaskit_version", __version__),
        model_file=path.name,
    )
    card_path(path).write_text(json.dumps(full, indent=2, sort_keys=True) + "\n", "utf-8")
    from biaskit.train import card_markdown

    card_path(path).with_suffix(".md").write_text(card_markdown(full), encoding="utf-8")
    return path


def read_card(model_path: str | Path) -> dict[str, Any]:
    """The model card of a model file (``ModelError`` if missing or unreadable)."""
    cp = card_path(model_path)
    try:
        return json.loads(cp.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ModelError(
            f"model card {cp.name} not found next to {Path(model_path).name}; "
            "a biaskit model is the .skops file plus its .card.json"
        ) from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelError(f"model card {cp} is not valid JSON ({exc})") from exc


def load_model(path: str | Path | None = None, *, check_hash: bool = True) -> Any:
    """Load a biaskit model (the shipped default when ``path`` is None).

    The default model is loaded once per process and reused.

    Parameters
    ----------
    path : str or Path, optional
        A ``.skops`` file written by ``biaskit train``.
    check_hash : bool
        Verify the file against the sha256 in its card.

    Returns
    -------
    Model
        The fitted pipeline with ``card`` (dict) and ``path`` attributes via :class:`Model`.

    Raises
    ------
    ModelError
        Missing file, untrusted types, not a skops file, hash mismatch, or incompatible
        version — the message says which, and what to do.
    """
    if path is None:
        return _default_model()
    return _load(Path(path), check_hash)


class Model:
    """A loaded model: the fitted pipeline and its card."""

    def __init__(self, pipeline: Any, card: dict[str, Any], path: Path) -> None:
        self.pipeline = pipeline
        self.card = card
        self.path = path

    @property
    def version(self) -> str:
        """Short identifier: the card's name and the first 12 hex digits of its hash."""
        return f"{self.card.get('name', self.path.stem)}@{self.card.get('sha256', '')[:12]}"

    @property
    def labels(self) -> list[str]:
        """Output labels in column order."""
        return list(self.card["labels"])

    def __repr__(self) -> str:
        return f"Model({self.version!r})"


def default_model_path() -> Path:
    """Path of the model that ships inside the package."""
    return Path(str(resources.files("biaskit.data.models").joinpath("default.skops")))


@lru_cache(maxsize=1)
def _default_model() -> Model:
    return _load(default_model_path(), True)


def _untrusted_error(path: Path, types: str) -> ModelError:
    return ModelError(
        f"{path.name} holds types biaskit does not trust: {types}. "
        "Refusing to load it; only load models you trained yourself with `biaskit train`"
    )


def _load(path: Path, check_hash: bool) -> Model:
    import skops.io as sio
    from skops.io.exceptions import UntrustedTypesFoundException

    if not path.exists():
        raise ModelError(f"model file not found: {path}")
    card = read_card(path)
    # reliability fix (issue 10): a card that is not a JSON object, or lacks the labels and
    # thresholds analyze() reads, failed later with AttributeError/KeyError
    if not isinstance(card, dict):
        raise ModelError(
            f"model card {card_path(path).name} is not a JSON object; restore the card that "
            "`biaskit train` wrote next to the model"
        )
    if card.get("model_format") not in READABLE_FORMATS:
        readable = " or ".join(map(str, READABLE_FORMATS))
        raise ModelError(
            f"{path.name} was made by biaskit {card.get('biaskit_version', '?')} with model "
            f"format {card.get('model_format')!r}; this biaskit reads format {readable}. "
            "Retrain it with `biaskit train` or install the matching biaskit version"
        )
    if check_hash:
        digest = file_sha256(path)
        if digest != card.get("sha256"):
            raise ModelError(
                f"{path.name} does not match its card (sha256 {digest[:12]}… ≠ "
                f"{str(card.get('sha256'))[:12]}…): the file was changed or the card belongs "
                "to another model; retrain or restore both files"
            )
    if not zipfile.is_zipfile(path):
        raise ModelError(
            f"{path.name} is not a skops model file (not a zip archive: a pickle, or a "
            "truncated download?); biaskit only loads .skops files written by `biaskit train`"
        )
    # reliability fix (issue 10): skops' get_untrusted_types() alone let any type skops trusts by
    # default (sklearn.svm.SVC, collections.OrderedDict, ...) through; check every type the
    # schema names, then let skops.io.load check the types it does not trust by default
    # against the same list (the check get_untrusted_types made, on the one tree load builds)
    untrusted = _schema_types(_read_schema(path)) - set(TRUSTED_TYPES)
    if untrusted:
        raise _untrusted_error(path, ", ".join(sorted(untrusted)))
    try:
        pipeline = sio.load(path, trusted=list(TRUSTED_TYPES))
    except UntrustedTypesFoundException as exc:
        # the refused types by name, as above (the second tree is built only on this path)
        refused = set(sio.get_untrusted_types(file=path)) - set(TRUSTED_TYPES)
        raise _untrusted_error(path, ", ".join(sorted(refused)) or str(exc)) from exc
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:  # damaged member of the archive
        raise ModelError(f"{path.name} is corrupt or truncated ({exc})") from exc
    except Exception as exc:
        raise ModelError(f"{path.name} could not be loaded ({type(exc).__name__}: {exc})") from exc
    steps = getattr(pipeline, "named_steps", None)
    labels = card.get("labels")
    thresholds = card.get("thresholds")
    if steps is None or "features" not in steps or "tagger" not in steps:
        raise ModelError(
            f"{path.name} holds a {type(pipeline).__name__}, not a biaskit pipeline (steps "
            "'features' and 'tagger'); only load models written by `biaskit train`"
        )
    if (
        not isinstance(labels, list)
        or not isinstance(thresholds, dict)
        or any(lab not in thresholds for lab in labels)
    ):
        raise ModelError(
            f"model card {card_path(path).name} lacks the labels or their thresholds; restore "
            "the card that `biaskit train` wrote next to the model"
        )
    logger.debug("loaded model %s", path)
    _warm_analysis()
    return Model(pipeline, card, path)


def _warm_analysis() -> None:
    """Build, once per process, what every analysis needs besides the model.

    Otherwise the first :func:`biaskit.analyze` after loading pays for them (the NLTK import,
    the Punkt segmenter, the lexicon matcher: about 0.3 s), while a short article must take
    under 0.2 s once the model is loaded (issue #5). Loaded before the batch engine forks its
    workers, they are also built once for all of them.
    """
    from biaskit.lexicons import default_matcher
    from biaskit.segment import _default_segmenter

    _default_segmenter(None)
    default_matcher()
