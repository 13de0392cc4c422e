"""Benchmark figures in the docs, read from the harness's results files at build time.

``python -m benchmarks TABLE`` writes ``benchmarks/results/TABLE.md``; this extension
reads those files, so the site never holds a figure copied by hand:

- ``:bench:`table/section/method/column``` writes one number of a results table, e.g.
  ``:bench:`dec/digits/DEC (defaults)/NMI``` gives the mean NMI; ``method`` may be
  ``best baseline``, or ``ours`` (the table's first row of the package's defaults). ``:bench-cell:`` writes the whole cell (``0.860 ± 0.017``).
- ``.. benchmark-headline::`` writes the table of defaults against the best classical
  baseline, one row per ``table/section`` given as content (all sections if none).
- ``.. benchmark-results::`` renders every results file (the Benchmarks page).

The parsing functions do not need Sphinx; ``tests/test_docs.py`` uses them to check
that every quoted figure resolves.
"""

import re
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parents[2] / "benchmarks" / "results"
TABLE_ORDER = ["dec", "deepcluster", "rnn", "subspace", "multimodal", "speed", "rnn_speed",
               "memory", "large", "scaling"]
BEST = " — best baseline"
ESTIMATORS = {"dec": "DEC", "deepcluster": "DeepCluster", "rnn": "MultiTaskRNNClusterer",
              "subspace": "DeepSubspaceClustering",
              "multimodal": "DeepMultimodalSubspaceClustering"}


# ---------------------------------------------------------------------------------
# reading the results files (plain Python)
# ---------------------------------------------------------------------------------
def _cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def method_name(cell):
    """A method cell without its markup: bold marks the package's own rows."""
    return cell.replace("**", "").replace(BEST, "").strip()


def parse_results(text):
    """One results file as ``{'title', 'header', 'sections': {name: section}}``.

    A section is ``{'text': [paragraphs], 'tables': [{'columns', 'rows'}]}``; the part
    before the first ``##`` is the section ``''``.
    """
    lines = text.splitlines()
    title = lines[0].lstrip("# ").strip() if lines else ""
    header, sections, name = [], {"": {"text": [], "tables": [], "blocks": []}}, ""
    i = 1
    while i < len(lines):
        line = lines[i]
        if line.startswith("## "):
            name = line[3:].strip()
            sections[name] = {"text": [], "tables": [], "blocks": []}
        elif line.startswith("- ") and name == "" and not sections[""]["tables"]:
            header.append(line[2:].strip())
        elif line.startswith("|"):
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(_cells(lines[i]))
                i += 1
            table = {"columns": rows[0], "rows": [r for r in rows[2:]]}
            sections[name]["tables"].append(table)
            sections[name]["blocks"].append(("table", table))
            continue
        elif line.strip():
            para = [line.strip()]
            while i + 1 < len(lines) and lines[i + 1].strip() and not lines[i + 1].startswith(
                    ("|", "#", "- ")):
                i += 1
                para.append(lines[i].strip())
            sections[name]["text"].append(" ".join(para))
            sections[name]["blocks"].append(("text", " ".join(para)))
        i += 1
    return {"title": title, "header": header, "sections": sections}


def load_results(results_dir=RESULTS_DIR):
    """``{table: parsed file}`` for every ``results/*.md``, in the docs' order."""
    found = {p.stem: p for p in Path(results_dir).glob("*.md")}
    order = [t for t in TABLE_ORDER if t in found] + sorted(set(found) - set(TABLE_ORDER))
    return {t: parse_results(found[t].read_text(encoding="utf-8")) for t in order}


def header_value(parsed, key):
    for item in parsed["header"]:
        if item.startswith(key + ":"):
            return item.split(":", 1)[1].strip()
    return None


def lookup(results, ref, whole_cell=False):
    """The figure that ``table/section/method/column`` names; ``KeyError`` if none."""
    parts = " ".join(ref.split()).split("/")
    if len(parts) != 4:
        raise KeyError(f"{ref!r}: expected table/section/method/column")
    table, section, method, column = (p.strip() for p in parts)
    if table not in results:
        raise KeyError(f"{ref!r}: no results file benchmarks/results/{table}.md")
    sections = results[table]["sections"]
    if section not in sections:
        raise KeyError(f"{ref!r}: benchmarks/results/{table}.md has no section {section!r}")
    for tab in sections[section]["tables"]:
        if column not in tab["columns"]:
            continue
        j = tab["columns"].index(column)
        for row in tab["rows"]:
            if ((method == "best baseline" and BEST in row[0]) or method_name(row[0]) == method
                    or (method == "ours" and row[0].startswith("**"))):
                cell = method_name(row[j]) if j == 0 else row[j]
                if whole_cell or j == 0:
                    return cell
                number = re.search(r"-?\d[\d,]*(?:\.\d+)?", cell)
                if number is None:
                    raise KeyError(f"{ref!r}: the cell {cell!r} holds no number")
                return number.group(0)
    raise KeyError(f"{ref!r}: no row {method!r} with a column {column!r}")


def quality_rows(results, refs=None):
    """Rows of the headline table: (estimator, data, NMI, fit s, baseline, its NMI, command).

    ``refs`` lists ``table/section``; a section that is not in its results file gives a
    row that says so (the table was run without it).
    """
    if refs is None:
        refs = [f"{t}/{s}" for t, parsed in results.items()
                for s, sec in parsed["sections"].items()
                if s and any("NMI" in tab["columns"] and "method" in tab["columns"]
                             for tab in sec["tables"])]
    rows = []
    for ref in refs:
        table, section = ref.split("/")
        parsed = results.get(table)
        command = f"python -m benchmarks {table}"
        sec = parsed["sections"].get(section) if parsed else None
        if sec is None:
            rows.append((ESTIMATORS.get(table, table), section,
                         "not run with the current defaults", "", "", "",
                         f"{command} --dataset {section}"))
            continue
        data = sec["text"][0].split(". ")[0] if sec["text"] else section
        tab = next(t for t in sec["tables"] if "NMI" in t["columns"])
        nmi, fit = tab["columns"].index("NMI"), tab["columns"].index("fit s")
        best = next((r for r in tab["rows"] if BEST in r[0]), None)
        for row in tab["rows"]:
            if row[0].startswith("**"):
                rows.append((method_name(row[0]), data, row[nmi], row[fit],
                             method_name(best[0]) if best else "",
                             best[nmi].split(" ±")[0] if best else "", command))
    return rows


# ---------------------------------------------------------------------------------
# markdown of the results files -> reStructuredText
# ---------------------------------------------------------------------------------
_INLINE = re.compile(r"`([^`]+)`|\*\*([^*]+)\*\*|\*([^*\s][^*]*)\*|\[([^\]]+)\]\(([^)]+)\)")


def _escape(text):
    return re.sub(r"([\\`*_|])", r"\\\1", text)


def md_inline(text):
    """Inline markdown (code, bold, italics, links) as reStructuredText."""
    out, pos = [], 0
    for m in _INLINE.finditer(text):
        out.append(_escape(text[pos:m.start()]))
        code, bold, em, label, url = m.groups()
        if code is not None:
            out.append(f"\\ ``{code}``\\ ")
        elif bold is not None:
            out.append(f"\\ **{_escape(bold)}**\\ ")
        elif em is not None:
            out.append(f"\\ *{_escape(em)}*\\ ")
        else:
            out.append(_escape(label))  # links point into the repository, not the site
        pos = m.end()
    out.append(_escape(text[pos:]))
    return "".join(out)


def _list_table(table, indent=""):
    lines = [f"{indent}.. list-table::", f"{indent}   :header-rows: 1",
             f"{indent}   :class: benchmark-table", ""]
    for row in [table["columns"]] + table["rows"]:
        for k, cell in enumerate(row):
            lines.append(f"{indent}   {'* -' if k == 0 else '  -'} {md_inline(cell) or '..'}")
    return lines + [""]


def results_rst(results, level_chars="=-~"):
    """Every results file as reStructuredText sections."""
    out = []
    for table, parsed in results.items():
        title = md_inline(parsed["title"])
        out += [f".. _bench-{table}:", "", title, level_chars[0] * len(title) * 2, ""]
        out += [f"- {md_inline(item)}" for item in parsed["header"]] + [""]
        for name, sec in parsed["sections"].items():
            if name:
                heading = md_inline(name)
                out += [heading, level_chars[1] * len(heading) * 2, ""]
            for kind, block in sec["blocks"]:
                out += _list_table(block) if kind == "table" else [md_inline(block), ""]
    return out


def headline_rst(rows):
    table = {"columns": ["estimator (defaults)", "data", "NMI", "fit s",
                         "best classical baseline", "its NMI", "command"],
             "rows": [[f"**{r[0]}**", r[1], r[2], r[3], r[4], r[5], f"`{r[6]}`"]
                      for r in rows]}
    return _list_table(table)


# ---------------------------------------------------------------------------------
# Sphinx
# ---------------------------------------------------------------------------------
def setup(app):
    from docutils import nodes
    from docutils.statemachine import StringList
    from sphinx.util import logging
    from sphinx.util.docutils import SphinxDirective
    from sphinx.util.nodes import nested_parse_with_titles

    logger = logging.getLogger(__name__)
    cache = {}

    def results():
        if "results" not in cache:
            cache["results"] = load_results()
        return cache["results"]

    def make_role(whole_cell):
        def role(name, rawtext, text, lineno, inliner, options=None, content=None):
            try:
                value = lookup(results(), text, whole_cell=whole_cell)
            except KeyError as exc:
                msg = inliner.reporter.error(f"benchmark figure not found: {exc}",
                                             line=lineno)
                return [inliner.problematic(rawtext, rawtext, msg)], [msg]
            env = inliner.document.settings.env
            page = env.app.builder.get_relative_uri(env.docname, "benchmarks")
            ref = nodes.reference(rawtext, value, internal=True, classes=["benchmark-figure"],
                                  refuri=f"{page}#bench-{text.split('/')[0]}")
            return [ref], []
        return role

    class _RstDirective(SphinxDirective):
        def render(self, lines):
            self.env.note_dependency(str(RESULTS_DIR))
            for path in RESULTS_DIR.glob("*.md"):
                self.env.note_dependency(str(path))
            node = nodes.section() if self.name == "benchmark-results" else nodes.container()
            node.document = self.state.document
            nested_parse_with_titles(self.state, StringList(lines, source="benchmarks/results"),
                                     node)
            return node.children

    class Headline(_RstDirective):
        has_content = True

        def run(self):
            refs = [line.strip() for line in self.content if line.strip()] or None
            return self.render(headline_rst(quality_rows(results(), refs)))

    class Results(_RstDirective):
        def run(self):
            return self.render(results_rst(results()))

    app.add_role("bench", make_role(False))
    app.add_role("bench-cell", make_role(True))
    app.add_directive("benchmark-headline", Headline)
    app.add_directive("benchmark-results", Results)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
