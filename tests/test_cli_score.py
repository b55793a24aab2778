"""`biaskit score` column-mapping flags reach the batch reader (the CLI mirrors ScoreOptions);
a flag naming a missing column, a missing HTML package and `-q` after the subcommand."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd
import pytest

import biaskit
from biaskit import cli
from biaskit.errors import InputError

BATCH = Path(__file__).parent / "fixtures" / "batch"


def table(tmp_path) -> Path:
    src = tmp_path / "in.csv"
    src.write_text("guid,text\ng1,Officials said the bridge would reopen in May.\n",
                   encoding="utf-8")
    return src


def test_score_maps_every_column_flag(tmp_path, capsys):
    src = tmp_path / "feed.jsonl"
    rows = [
        {"key": "a1", "body": "Officials said the bridge would reopen in May.",
         "paper": "north", "headline": "Bridge to reopen", "day": "2026-05-01",
         "link": "https://north.example/a1"},
        {"key": "a2", "body": "The plan is a disaster, critics claimed on Tuesday.",
         "paper": "south", "headline": "Critics pan plan", "day": "2026-05-02",
         "link": "https://south.example/a2"},
    ]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "out"
    code = cli.main(["-q", "score", str(src), "-o", str(out), "--jobs", "1",
                     "--id-col", "key", "--text-col", "body", "--outlet-col", "paper",
                     "--title-col", "headline", "--date-col", "day", "--url-col", "link"])
    assert code == 0, capsys.readouterr().err
    articles = pd.read_parquet(out / "articles.parquet").sort_values("doc_id")
    assert articles["doc_id"].tolist() == ["a1", "a2"]
    assert articles["outlet"].tolist() == ["north", "south"]
    assert articles["title"].tolist() == ["Bridge to reopen", "Critics pan plan"]
    assert articles["published"].astype(str).tolist() == ["2026-05-01", "2026-05-02"]
    assert articles["url"].tolist() == ["https://north.example/a1", "https://south.example/a2"]


def test_column_flags_naming_missing_columns_are_an_error(tmp_path, capsys):
    src, out = table(tmp_path), tmp_path / "out"
    code = cli.main(["score", str(src), "-o", str(out), "--id-col", "guidd",
                     "--outlet-col", "sitee", "--date-col", "dat"])
    assert code == 2
    assert capsys.readouterr().err == (
        f"biaskit: error: {src}: no column 'guidd' for the id (id_col=, CLI: --id-col); no "
        "column 'sitee' for the outlet (outlet_col=, CLI: --outlet-col); no column 'dat' for "
        "the date (date_col=, CLI: --date-col); the file has 'guid', 'text'. Name columns the "
        "file has, or leave the option out\n"
    )
    assert not out.exists()  # refused before anything is written


def test_a_flag_naming_the_default_column_must_find_it_too(tmp_path, capsys):
    src = table(tmp_path)
    code = cli.main(["score", str(src), "-o", str(tmp_path / "out"), "--outlet-col", "outlet"])
    assert code == 2
    assert "no column 'outlet' for the outlet (outlet_col=, CLI: --outlet-col)" in (
        capsys.readouterr().err)


def test_absent_default_columns_stay_optional(tmp_path, capsys):
    out = tmp_path / "out"
    code = cli.main(["-q", "score", str(table(tmp_path)), "-o", str(out), "--jobs", "1",
                     "--id-col", "guid"])
    assert code == 0, capsys.readouterr().err
    articles = pd.read_parquet(out / "articles.parquet")
    assert articles["doc_id"].tolist() == ["g1"]
    assert articles["outlet"].tolist() == [None]


def test_python_api_refuses_a_named_column_that_is_missing(tmp_path):
    import fakescorer  # tests/fixtures/batch, on sys.path (conftest)

    src = table(tmp_path)
    with pytest.raises(InputError) as exc:
        biaskit.score(src, tmp_path / "out", outlet_col="site", scorer=fakescorer.fake_analyze,
                      jobs=1, quiet=True)
    assert str(exc.value) == (
        f"{src}: no column 'site' for the outlet (outlet_col=, CLI: --outlet-col); the file has "
        "'guid', 'text'. Name columns the file has, or leave the option out"
    )
    result = biaskit.score(src, tmp_path / "out", id_col="guid", scorer=fakescorer.fake_analyze,
                           jobs=1, quiet=True)
    assert (result.rows_read, result.articles_scored, result.errors) == (1, 1, 0)


def test_html_without_its_cleaner_package_is_an_error_row_not_a_crash(tmp_path, capsys,
                                                                      monkeypatch):
    import trafilatura

    def broken(*args, **kwargs):
        raise ImportError("lxml.html.clean module is now a separate project lxml_html_clean.\n"
                          "Install lxml[html_clean] or lxml_html_clean directly.")

    monkeypatch.setattr(trafilatura, "bare_extraction", broken)
    out = tmp_path / "out"
    code = cli.main(["-q", "score", str(BATCH / "site" / "harbor-gazette"), "-o", str(out),
                     "--jobs", "1"])
    assert code == 0, capsys.readouterr().err
    assert "rows read 2 = scored 1 + errors 1" in capsys.readouterr().out
    [error] = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    assert error["doc_id"] == "storm.html"
    assert error["source"] == str(BATCH / "site" / "harbor-gazette" / "storm.html")
    assert error["reason"].startswith("cannot extract the article from HTML: a package is missing")
    assert error["reason"].endswith("install it (pip install lxml_html_clean) or reinstall biaskit")


def real_logging(monkeypatch) -> None:
    """Let ``cli.main`` configure logging as in a real run (pytest's handlers would stop it).

    Called in the test body: pytest adds its handlers to the root logger for each phase.
    """
    monkeypatch.setattr(logging.root, "handlers", [])
    monkeypatch.setattr(logging.root, "level", logging.root.level)


@pytest.mark.parametrize("position", ["before", "after", "none"])
def test_quiet_before_or_after_the_subcommand_silences_the_log(position, tmp_path, capsys,
                                                                 monkeypatch):
    real_logging(monkeypatch)
    out = tmp_path / "out"
    argv = ["score", str(table(tmp_path)), "-o", str(out), "--jobs", "1"]
    argv = {"before": ["-q", *argv], "after": [*argv, "-q"], "none": argv}[position]
    assert cli.main(argv) == 0
    stdout, stderr = capsys.readouterr()
    assert stdout.startswith("rows read 1 = scored 1 + errors 0;")
    if position == "none":
        assert stderr.startswith(f"biaskit: {out}: 1 rows read = 1 articles scored + 0 errors")
    else:
        assert stderr == ""


def test_score_keep_then_compare_by_strata(tmp_path, capsys):
    """The user walkthrough: `score --keep topic`, then `compare --strata topic` on the
    scores (2 outlets x 2 topics x 3 articles), which without --keep has no topic column."""
    from biaskit.comparison import STANDARDIZED

    src = BATCH / "topics.jsonl"
    scores, comparison = tmp_path / "o70", tmp_path / "c70"
    code = cli.main(["-q", "score", str(src), "-o", str(scores), "--jobs", "1",
                     "--keep", "topic"])
    assert code == 0, capsys.readouterr().err
    articles = pd.read_parquet(scores / "articles.parquet")
    assert articles.groupby(["outlet", "topic"]).size().to_dict() == {
        ("Daily Ledger", "economy"): 3, ("Daily Ledger", "health"): 3,
        ("Metro Herald", "economy"): 3, ("Metro Herald", "health"): 3,
    }
    flags = ["--min-articles", "1", "--n-boot", "200", "--no-figures"]
    code = cli.main(["-q", "compare", str(scores), "-o", str(comparison), "--strata", "topic",
                     *flags])
    assert code == 0, capsys.readouterr().err
    outlets = pd.read_parquet(comparison / "outlets.parquet")
    overall = outlets[outlets["stratum"] == STANDARDIZED]
    assert sorted(set(overall["outlet"])) == ["Daily Ledger", "Metro Herald"]
    assert set(overall["n_articles"]) == {6}
    assert overall["method"].str.contains("standardized over topic (2 common strata",
                                          regex=False).all()
    # the same numbers as the Python path: analyze(keep=...) then compare(strata=...)
    docs = pd.read_json(src, lines=True)
    expected = biaskit.compare(biaskit.analyze(docs, keep=("topic",)), strata="topic",
                               n_boot=200, min_articles=1, random_state=0)
    expected = expected[expected["stratum"] == STANDARDIZED]
    key = ["outlet", "metric", "estimate", "ci_low", "ci_high", "n_articles", "n_sentences"]
    pd.testing.assert_frame_equal(overall[key].reset_index(drop=True),
                                  expected[key].reset_index(drop=True), check_dtype=False)
    capsys.readouterr()
    # a column that was not kept is still the clear error of before
    code = cli.main(["-q", "compare", str(scores), "-o", str(tmp_path / "c71"), "--strata",
                     "section", *flags])
    assert code == 2
    assert "missing column(s) section" in capsys.readouterr().err


def test_keep_flag_is_repeatable_and_comma_separated(tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("doc_id,text,topic\nc1,Officials said the bridge would reopen.,transport\n",
                   encoding="utf-8")
    code = cli.main(["score", str(src), "-o", str(tmp_path / "out"), "--keep", "topic,section",
                     "--keep", " desk ", "--outlet-col", "paper"])
    assert code == 2
    assert capsys.readouterr().err == (
        f"biaskit: error: {src}: no column 'paper' for the outlet (outlet_col=, CLI: "
        "--outlet-col); no column 'section' to keep (keep=, CLI: --keep); no column 'desk' to "
        "keep (keep=, CLI: --keep); the file has 'doc_id', 'text', 'topic'. Name columns the "
        "file has, or leave the option out\n"
    )
    assert cli._keep_names(["topic,section", " desk ", "a,,b"]) == (
        "topic", "section", "desk", "a", "b")
    assert cli._keep_names(None) == ()
