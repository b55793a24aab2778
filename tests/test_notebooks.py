"""The notebooks in notebooks/: committed clean, parameterised, and runnable top to bottom.

The fast tests read each notebook file: valid, no outputs (commit them cleared), exactly one
cell tagged ``parameters`` holding plain literal assignments (what papermill overrides).

The slow tests execute each notebook with papermill, with the working directory set to
``notebooks/`` as it is for a reader, in a kernel running this very interpreter, and export the
executed notebook to HTML under ``tests/output/notebooks/`` (a CI artefact; also the executed
``.ipynb`` and a ``timings.json``). A failing cell fails the test with the cell's traceback.

Run as a script to execute all notebooks outside pytest (``make notebooks``)::

    python tests/test_notebooks.py notebooks/_build
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
OUTPUT = Path(__file__).resolve().parent / "output" / "notebooks"
EXPECTED = [
    "01-quickstart",
    "02-compare-outlets",
    "03-model-evaluation",
    "04-train-your-own",
]
NOTEBOOK_FILES = sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
#: seconds one cell may run before the notebook counts as hung
CELL_TIMEOUT = 600
KERNEL_NAME = "biaskit-notebook-test"


def extra_parameters(name: str, out_dir: Path) -> dict[str, Any]:
    """Parameters beyond the notebook's defaults: write the optional HTML outputs as artefacts."""
    return {
        "01-quickstart": {"html_out": str(out_dir / "01-quickstart-view.html")},
        "02-compare-outlets": {"report_out": str(out_dir / "02-outlet-report.html")},
    }.get(name, {})


@contextlib.contextmanager
def this_interpreter_kernel() -> Iterator[str]:
    """A kernelspec that runs ``sys.executable``, found first through JUPYTER_PATH.

    A user-level ``python3`` kernelspec pointing at another Python (where biaskit may be
    missing or older) would otherwise decide which code the notebooks test.
    """
    with tempfile.TemporaryDirectory(prefix="biaskit-kernel-") as tmp:
        spec_dir = Path(tmp) / "kernels" / KERNEL_NAME
        spec_dir.mkdir(parents=True)
        spec = {
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
            "display_name": "Python 3 (biaskit tests)",
            "language": "python",
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
        old = os.environ.get("JUPYTER_PATH")
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (tmp, old) if p)
        try:
            yield KERNEL_NAME
        finally:
            if old is None:
                os.environ.pop("JUPYTER_PATH", None)
            else:
                os.environ["JUPYTER_PATH"] = old


def run_notebook(path: Path, out_dir: Path) -> tuple[Path, Path, float]:
    """Execute ``path`` (cwd = its folder) into ``out_dir``; export HTML even when a cell fails.

    Returns the executed notebook, its HTML and the run time in seconds; raises papermill's
    ``PapermillExecutionError`` (with the failing cell's traceback) if a cell fails.
    """
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    out_dir.mkdir(parents=True, exist_ok=True)
    executed = out_dir / path.name
    html = out_dir / f"{path.stem}.html"
    for stale in (executed, html):
        stale.unlink(missing_ok=True)
    start = time.perf_counter()
    try:
        with this_interpreter_kernel() as kernel_name:
            papermill.execute_notebook(
                str(path),
                str(executed),
                parameters=extra_parameters(path.stem, out_dir),
                cwd=str(path.parent),
                kernel_name=kernel_name,
                execution_timeout=CELL_TIMEOUT,
                progress_bar=False,
                log_output=False,
            )
    finally:
        elapsed = time.perf_counter() - start
        if executed.exists():
            body, _ = HTMLExporter().from_notebook_node(nbformat.read(executed, as_version=4))
            html.write_text(body, encoding="utf-8")
    return executed, html, elapsed


def _record_time(out_dir: Path, name: str, seconds: float, ok: bool) -> None:
    path = out_dir / "timings.json"
    data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    data[name] = {"seconds": round(seconds, 1), "ok": ok}
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _read(path: Path) -> Any:
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    return nb


# --------------------------------------------------------------------------- fast: the files


def test_the_notebooks_are_all_there() -> None:
    assert [p.stem for p in NOTEBOOK_FILES] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.stem)
def test_committed_without_outputs(path: Path) -> None:
    nb = _read(path)
    dirty = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert dirty == [], f"{path.name}: cells {dirty} have outputs; clear them before committing"
    assert "papermill" not in nb.metadata, f"{path.name} is an executed copy, not the source"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.stem)
def test_one_parameters_cell_of_literals(path: Path) -> None:
    nb = _read(path)
    tagged = [
        i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])
    ]
    assert len(tagged) == 1, f"{path.name}: {len(tagged)} cells tagged 'parameters'"
    cell = nb.cells[tagged[0]]
    first_code = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    assert cell.cell_type == "code" and tagged[0] == first_code
    # papermill overrides parameters by appending assignments: keep them plain literals
    tree = ast.parse(cell.source)
    assert tree.body, f"{path.name}: empty parameters cell"
    for node in tree.body:
        assert isinstance(node, ast.Assign), ast.dump(node)
        assert len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
        ast.literal_eval(node.value)


@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.stem)
def test_no_absolute_paths(path: Path) -> None:
    # paths are relative to notebooks/ so that the notebooks run from any checkout
    text = path.read_text(encoding="utf-8")
    for marker in ("/work/", "/home/", "/tmp/", "C:\\\\"):
        assert marker not in text, f"{path.name} contains the absolute path marker {marker!r}"


# --------------------------------------------------------------------------- slow: run them


@pytest.mark.slow
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("path", NOTEBOOK_FILES, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path: Path) -> None:
    ok = False
    start = time.perf_counter()
    try:
        executed, html, _ = run_notebook(path, OUTPUT)
        ok = True
    finally:
        _record_time(OUTPUT, path.stem, time.perf_counter() - start, ok)
    nb = _read(executed)
    errors = [
        o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"
    ]
    assert errors == []
    assert html.stat().st_size > 10_000
    for extra in extra_parameters(path.stem, OUTPUT).values():
        assert Path(extra).stat().st_size > 1_000, f"{extra} not written"


def main(argv: list[str] | None = None) -> int:
    """Execute every notebook into a folder (default tests/output/notebooks); 1 if any fails."""
    args = sys.argv[1:] if argv is None else argv
    out_dir = Path(args[0]).resolve() if args else OUTPUT
    failed = []
    for path in NOTEBOOK_FILES:
        try:
            _, html, seconds = run_notebook(path, out_dir)
        except Exception as exc:  # report every notebook, then fail
            failed.append(path.name)
            print(f"FAILED {path.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        print(f"ok {path.name} in {seconds:.0f} s -> {html}")
    if failed:
        print(f"{len(failed)} notebook(s) failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
