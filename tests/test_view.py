"""The highlighted view of one article (``biaskit.show``): which article, and its text."""

from __future__ import annotations

import pytest

import biaskit
from biaskit.errors import InputError

DOCS = [
    {"doc_id": "a1", "outlet": "x", "text": "Rates will rise. “It is a scandal,” Ms Ode said."},
    {"doc_id": "b2", "outlet": "y", "text": "The council met on Monday."},
]


@pytest.fixture(scope="module")
def table():
    return biaskit.analyze(DOCS)


def test_a_table_of_several_articles_needs_a_doc_id(table) -> None:
    # checked when show() is called, not later when Jupyter renders the view
    with pytest.raises(InputError, match=r"holds 2 articles \('a1', 'b2'\).*doc_id='a1'"):
        biaskit.show(table, DOCS[0]["text"])
    view = biaskit.show(table, DOCS[0]["text"], doc_id="a1")
    html = view._repr_html_()
    assert "Ms Ode" in html and "The council met" not in html
    assert html.count('data-sent="') == 2


def test_an_unknown_doc_id_and_a_wrong_text_are_named(table) -> None:
    with pytest.raises(InputError, match=r"doc_id 'zz' is not in the table"):
        biaskit.show(table, doc_id="zz")
    with pytest.raises(InputError, match=r"text does not match the table: sentence 0"):
        biaskit.show(table, DOCS[1]["text"], doc_id="a1")


def test_one_article_without_text_is_rebuilt_from_its_sentences() -> None:
    one = biaskit.analyze(DOCS[0]["text"])
    html = biaskit.show(one)._repr_html_()
    assert "Rates will rise." in html and "scandal" in html
