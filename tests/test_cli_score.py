"""`biaskit score` column-mapping flags reach the batch reader (the CLI mirrors ScoreOptions)."""

from __future__ import annotations

import json

import pandas as pd

from biaskit import cli


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
