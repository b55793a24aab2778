"""Batch scoring: many documents → tagged sentence and article tables on disk.

:func:`score` reads any mix of inputs (see :mod:`biaskit.io`), cuts the stream of records into
parts of ``chunk_size`` rows, scores the parts in worker processes (or on a dask.distributed
cluster) with :func:`biaskit.analysis.analyze`, and writes::

    OUT/sentences.parquet   tagged sentence table (one row per sentence)
    OUT/articles.parquet    article table (biaskit.aggregate.articles + title, date, url, source)
    OUT/errors.jsonl        every input row that could not be scored: source, line, doc_id, reason
    OUT/run.json            model, inputs (size, sha256), options, counts, timings, versions

The accounting always closes: *rows read = articles scored + rows in errors.jsonl*. Duplicate
ids, empty texts, broken lines and documents on which the analysis raised all become error
rows; nothing is dropped silently.

A run is resumable. Part *k* holds input rows ``k * chunk_size …`` — defined by the input
order alone, whatever the number of workers — and is written atomically: each of its files
(``parts/part-000123.arrow``, ``.articles.arrow`` — Arrow IPC, cheap to write and to read
back — and ``.errors.jsonl``) as ``….tmp`` → fsync → rename, then ``part-000123.json`` (its
counts), whose presence marks it complete. After Ctrl-C or ``kill -9``, ``resume=True``
skips the complete parts and produces the same final files as an uninterrupted run. The
final files grow from the complete parts, in part order, while the workers score the next
ones (as ``.tmp`` files; a resumed run appends its kept parts the same way); at the end
they are renamed together with run.json, and ``parts/`` is removed. A lock file
(``OUT/.lock``) keeps two runs out of the same directory.

SIGTERM (``kill``, a scheduler's stop) ends a run as Ctrl-C does: workers stopped, lock
released, complete parts kept, :class:`~biaskit.errors.InterruptedRun` saying how to resume.
Workers end when their parent dies, even by SIGKILL (``prctl(PR_SET_PDEATHSIG)`` on Linux, a
watch thread everywhere). A failed write (disk full, read-only, permission) is an
:class:`~biaskit.errors.OutputError`; the final files appear together with run.json or not at
all.

On Linux, from a process without other threads, the workers are forked after this process
has loaded the model: they start at once and share its memory. Elsewhere (macOS, Windows,
a notebook kernel's threads) they are spawned, each importing the libraries and loading the
model: a script that calls :func:`score` with ``jobs > 1`` needs the usual
``if __name__ == "__main__":`` guard to run everywhere.
"""

from biaskit.batch.engines import _SCORERS as _SCORERS
from biaskit.batch.engines import _score_part as _score_part
from biaskit.batch.options import ScoreOptions, ScoreResult
from biaskit.batch.provenance import _fingerprint as _fingerprint
from biaskit.batch.run import _progress as _progress
from biaskit.batch.run import score

__all__ = ["ScoreOptions", "ScoreResult", "score"]
