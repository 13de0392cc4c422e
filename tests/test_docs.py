"""The documentation's own checks: figures come from the benchmark results, the API
reference lists every public name, and the built site's links work offline.

The sphinx build (``python -m sphinx -W -b html docs ...``) runs the same link check
on the real site (``docs/_ext/site_checks.py``); these tests run without a build.
"""

import importlib
import inspect
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

import benchmark_results  # noqa: E402
import site_checks  # noqa: E402

BENCH_ROLE = re.compile(r":bench(?:-cell)?:`([^`]+)`")
# A figure: a decimal with two or more places (0.850), or a number with a unit of
# time, memory or share (48.5 s, 569 MiB, 12 %).
FIGURE = re.compile(
    r"(?<![\w.])\d+\.\d{2,}(?![\w.])"
    r"|(?<![\w.])\d[\d,]*(?:\.\d+)?\s?(?:s|ms|min|minutes?|hours?|MiB|GiB|MB|GB|%)(?!\w)")


def _guides():
    """The hand-written pages (generated ones live in auto_examples/ and gen_modules/)."""
    return sorted(p for p in DOCS.glob("*.rst") if p.name != "sg_execution_times.rst")


def _rst_prose(text):
    """``text`` without code: literal blocks, code-block/math directives, ``literals``."""
    out, lines, i = [], text.splitlines(), 0
    while i < len(lines):
        line = lines[i]
        directive = re.match(r"\s*\.\. ([\w-]+)::", line)
        literal = (directive.group(1) in ("code-block", "code", "math", "literalinclude",
                                          "benchmark-headline")
                   if directive else line.rstrip().endswith("::"))
        skip = re.match(r"\s*\.\. \w", line) or re.match(r"\s+:[\w-]+:", line)
        out.append("" if skip else line.rstrip(":"))
        i += 1
        if literal:
            indent = len(line) - len(line.lstrip())
            while i < len(lines) and (not lines[i].strip()
                                      or len(lines[i]) - len(lines[i].lstrip()) > indent):
                i += 1
    prose = "\n".join(out)
    prose = BENCH_ROLE.sub("", prose)
    prose = re.sub(r":math:`[^`]*`", "", prose)
    return re.sub(r"``.*?``", "", prose, flags=re.S)


def _md_prose(text):
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    # the README's headline table is generated from the results (tested below)
    text = re.sub(r"<!-- headline:.*?<!-- end of headline -->", "", text, flags=re.S)
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets
    return re.sub(r"`[^`]*`", "", text)


def _example_prose(path):
    """An example's docstring and its ``# %%`` text blocks, without code."""
    source = path.read_text(encoding="utf-8")
    doc = re.match(r'\s*"""(.*?)"""', source, flags=re.S)
    comments = re.findall(r"^# (?!%%)(.*)$", source, flags=re.M)
    return _rst_prose((doc.group(1) if doc else "") + "\n" + "\n".join(comments))


def test_quoted_figures_resolve():
    results = benchmark_results.load_results()
    refs = [(p.name, ref) for p in _guides()
            for ref in BENCH_ROLE.findall(p.read_text(encoding="utf-8"))]
    problems = []
    for page, ref in refs:
        try:
            benchmark_results.lookup(results, ref)
        except KeyError as exc:
            problems.append(f"{page}: {exc}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", _guides() + [ROOT / "README.md"]
                         + sorted((ROOT / "examples").glob("*.py")), ids=lambda p: p.name)
def test_prose_quotes_figures_only_from_the_results(path):
    """Measured figures enter the guides through ``:bench:`` (read from
    ``benchmarks/results/``), never typed in; README and examples quote none (an
    example prints its own)."""
    text = path.read_text(encoding="utf-8")
    prose = {".rst": _rst_prose, ".md": _md_prose, ".py": lambda t: _example_prose(path)}[
        path.suffix](text)
    found = sorted({m.group(0) for m in FIGURE.finditer(prose)})
    assert not found, f"{path.name} quotes figures by hand: {found}"


def test_readme_headline_is_the_one_the_results_give():
    """The README's headline table is what ``python -m benchmarks`` writes from the
    current results files: a results file changed without it fails here."""
    sys.path.insert(0, str(ROOT))
    from benchmarks._harness import HEADLINE_END, HEADLINE_START, readme_headline

    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text[text.index(HEADLINE_START) + len(HEADLINE_START):text.index(HEADLINE_END)]
    assert block.strip() == readme_headline().strip()
    assert "0." in block  # the table holds figures, not only "not run" rows


def test_figure_pattern_and_prose_extraction():
    prose = _rst_prose("DEC reaches 0.860 in 42.8 s; see :bench:`dec/digits/DEC/NMI`.\n"
                       "Set ``lr=0.001``::\n\n    x = 0.123\n\nten seeds, 2 views\n")
    assert sorted(m.group(0) for m in FIGURE.finditer(prose)) == ["0.860", "42.8 s"]
    table = _rst_prose(".. list-table::\n   :widths: 50 50\n\n   * - DEC\n     - 0.912\n")
    assert [m.group(0) for m in FIGURE.finditer(table)] == ["0.912"]


def test_lookup_reads_the_results_tables():
    results = benchmark_results.parse_results(
        "# `t`: q\n\n- seeds: 0 1\n\n## data\n\nSome data, 10 rows.\n\n"
        "| method | NMI | fit s |\n| --- | --- | --- |\n"
        "| **Ours (defaults)** | 0.812 ± 0.010 | 3.5 |\n"
        "| KMeans — best baseline | 0.700 ± 0.000 | 0.1 |\n")
    results = {"t": results}
    assert benchmark_results.lookup(results, "t/data/Ours (defaults)/NMI") == "0.812"
    assert benchmark_results.lookup(results, "t/data/best baseline/NMI", True) == "0.700 ± 0.000"
    assert benchmark_results.lookup(results, "t/data/best baseline/method") == "KMeans"
    with pytest.raises(KeyError, match="no section"):
        benchmark_results.lookup(results, "t/other/Ours (defaults)/NMI")
    rows = benchmark_results.quality_rows(results, ["t/data", "t/missing"])
    assert rows[0][:3] == ("Ours (defaults)", "Some data, 10 rows.", "0.812 ± 0.010")
    assert rows[0][4:6] == ("KMeans", "0.700")
    assert rows[1][2] == "not run with the current defaults"


def _public_objects():
    """Every public function and class of the package, by qualified name."""
    import skdeepcluster

    found = {}
    modules = [skdeepcluster] + [importlib.import_module(f"skdeepcluster.{m.stem}")
                                 for m in (ROOT / "skdeepcluster").glob("[!_]*.py")]
    for package in ("nn", "training"):
        pkg = importlib.import_module(f"skdeepcluster.{package}")
        modules += [pkg] + [importlib.import_module(f"skdeepcluster.{package}.{m.stem}")
                            for m in (ROOT / "skdeepcluster" / package).glob("[!_]*.py")]
    for module in modules:
        names = getattr(module, "__all__", None) or [
            n for n, o in vars(module).items()
            if not n.startswith("_") and getattr(o, "__module__", None) == module.__name__]
        for name in names:
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                found.setdefault(id(obj), f"{module.__name__}.{name}")
    return found


def test_api_reference_lists_every_public_name():
    import skdeepcluster

    api = (DOCS / "api.rst").read_text(encoding="utf-8")
    documented = set()
    for entry in re.findall(r"^   ([A-Za-z_][\w.]*)\s*$", api, flags=re.M):
        obj = skdeepcluster
        for part in entry.split("."):
            obj = getattr(obj, part, None) or importlib.import_module(
                f"{obj.__name__}.{part}")
        documented.add(id(obj))
    missing = sorted(name for key, name in _public_objects().items() if key not in documented)
    assert not missing, f"docs/api.rst does not list: {missing}"


def test_link_check_finds_broken_links_and_network_loads(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "index.html").write_text(
        '<a href="sub/page.html#here">ok</a><a href="sub/page.html#gone">anchor</a>'
        '<a href="missing.html">file</a><a href="https://example.org">external link</a>'
        '<img src="img.png"><script src="https://cdn.example.org/mathjax.js"></script>'
        '<a href="#top" id="top">self</a>')
    (tmp_path / "sub" / "page.html").write_text('<h1 id="here">x</h1><a href="../index.html">up</a>')
    problems = site_checks.broken_links(tmp_path)
    assert sorted((url, why) for _, url, why in problems) == [
        ("https://cdn.example.org/mathjax.js", "loads from the network"),
        ("img.png", "no such file"),
        ("missing.html", "no such file"),
        ("sub/page.html#gone", "no such anchor"),
    ]
