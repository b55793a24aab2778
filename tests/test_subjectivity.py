"""Writer-voice subjectivity cues (biaskit.subjectivity) and their place in the featurizer."""

from __future__ import annotations

import csv
from importlib import resources

import numpy as np
import pandas as pd
import pytest

from biaskit.features import SentenceFeaturizer
from biaskit.lexicons import normalise_term
from biaskit.subjectivity import SUBJECTIVITY_FEATURES, subjectivity_columns

# (writer-voice text, cue, expected value)
CUES = [
    ("We should be ashamed of this.", "wv_first_person", 1.0),
    ("I have sat through many of these meetings.", "wv_first_person", 1.0),
    ("The US port reopened on Monday.", "wv_first_person", 0.0),  # the country, not "us"
    ("Let us be clear about what happened.", "wv_first_person", 1.0),
    ("The plan, i.e. the budget, passed.", "wv_first_person", 0.0),  # "i" is not "I"
    ("Items (i) and (ii) were struck out.", "wv_first_person", 0.0),
    ("I'm told the vote is close.", "wv_first_person", 1.0),
    ("The mayor opened the bridge.", "wv_first_person", 0.0),
    ("If you ride the No. 9 bus, your fare rises.", "wv_second_person", 1.0),
    ("Fares rose 5% in March.", "wv_second_person", 0.0),
    ("The council must act now.", "wv_deontic_modal", 1.0),
    ("Europe ought to put a number on the table.", "wv_deontic_modal", 1.0),
    ("The county needs to fund the lawyers.", "wv_deontic_modal", 1.0),
    ("The bridge has to do with the old harbour.", "wv_deontic_modal", 0.0),
    ("Why did the council shred the minutes?", "wv_question", 1.0),
    ("The council shredded the minutes.", "wv_question", 0.0),
    ("What a disgrace!", "wv_exclamation", 1.0),
    ("Police arrested 14 people.", "wv_exclamation", 0.0),
]


@pytest.mark.parametrize(("text", "cue", "expected"), CUES)
def test_cue_table(text: str, cue: str, expected: float) -> None:
    assert subjectivity_columns([text])[cue][0] == expected


def test_columns_named_in_order_and_bounded() -> None:
    texts = ["Sadly, this reckless plan is a disgrace!", "Prices rose 3% in Harbor City.", ""]
    cols = subjectivity_columns(texts)
    assert tuple(cols) == SUBJECTIVITY_FEATURES
    for values in cols.values():
        assert values.shape == (3,)
        assert np.all((values >= 0) & (values <= 1))


def test_evaluative_density_ranks_opinion_above_report() -> None:
    cols = subjectivity_columns(
        ["Sadly, this reckless plan is a disgrace.", "The plan passed 52-48."]
    )
    assert cols["wv_evaluative_density"][0] > cols["wv_evaluative_density"][1] == 0.0


def test_name_share_counts_capitalised_words_after_the_first() -> None:
    cols = subjectivity_columns(["Mayor Ana Ruiz met Governor Tom Hale.", "It is simply wrong."])
    assert cols["wv_name_share"][0] > 0.5
    assert cols["wv_name_share"][1] == 0.0


def _table(texts: list[str]) -> pd.DataFrame:
    n = len(texts)
    return pd.DataFrame(
        {
            "text": texts,
            "in_quote": [np.nan] * n,
            "is_headline": [False] * n,
            "sent_id": list(range(2, n + 2)),
            "paragraph": [1] * n,
        }
    )


def test_featurizer_measures_writer_voice_only() -> None:
    table = _table(["“We must act now!” the mayor said.", "We must act now!"])
    feat = SentenceFeaturizer(min_df=1, use_words=False, use_lexicons=False).fit(table)
    names = list(feat.get_feature_names_out())
    X = feat.transform(table).toarray()
    for cue in ("wv_first_person", "wv_deontic_modal", "wv_exclamation"):
        j = names.index(f"struct:{cue}")
        assert X[0, j] == 0.0, cue  # inside the quotation: the mayor's voice
        assert X[1, j] == 1.0, cue


def test_featurizer_fitted_before_the_cues_keeps_its_columns() -> None:
    # a model saved before this module existed has no `subjectivity_` attribute; it must keep
    # producing the columns its tagger was trained on
    table = _table(["We must act now!", "Prices rose 3%."])
    feat = SentenceFeaturizer(min_df=1, use_words=False).fit(table)
    n_new = feat.transform(table).shape[1]
    del feat.subjectivity_
    old = feat.transform(table)
    assert old.shape[1] == n_new - len(SUBJECTIVITY_FEATURES)


FRAMING_LEXICONS = ("loaded_terms", "opinion_terms", "speculation_cues", "promo_phrases")


@pytest.mark.parametrize("name", FRAMING_LEXICONS)
def test_framing_lexicon_rows_well_formed(name: str) -> None:
    text = resources.files("biaskit.data.lexicons").joinpath(f"{name}.tsv").read_text("utf-8")
    header_kinds = {
        line[4:].split(":", 1)[0]
        for line in text.splitlines()
        if line.startswith("#   ") and ":" in line and not line.startswith("#   A ")
    }
    rows = list(
        csv.reader(
            (x for x in text.splitlines() if not x.startswith("#")),
            delimiter="\t",
            quoting=csv.QUOTE_NONE,
        )
    )
    assert rows[0] == ["term", "kind", "weight", "note"]
    keys = set()
    for row in rows[1:]:
        assert len(row) == 4, row
        term, kind, weight, note = row
        assert term == term.lower() and "’" not in term, term
        assert 0 < float(weight) <= 1, row
        assert kind in header_kinds, (kind, sorted(header_kinds))
        assert note.strip(), row
        key = normalise_term(term)
        assert key and key not in keys, term
        keys.add(key)
