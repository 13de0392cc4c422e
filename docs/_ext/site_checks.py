"""Checks of the built HTML that Sphinx does not make: the site must work offline.

After an HTML build, every internal link and image must resolve (file and anchor),
and no page may load a script, style sheet or image from the network (MathJax
included). Each problem is a Sphinx warning, so ``-W`` fails the build. The check
itself is :func:`broken_links`, which ``tests/test_docs.py`` also runs on a build.
"""

import html.parser
import posixpath
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Page(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.links, self.loads = set(), [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        for key in ("id", "name"):
            if attrs.get(key) and (key == "id" or tag == "a"):
                self.ids.add(attrs[key])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        for key in ("src", "href") if tag in ("img", "script", "link", "source") else ():
            if attrs.get(key) and not (tag == "link" and attrs.get("rel") in (
                    "canonical", "alternate")):
                self.loads.append(attrs[key])


def _parse(path, cache):
    if path not in cache:
        page = _Page()
        page.feed(path.read_text(encoding="utf-8", errors="replace"))
        cache[path] = page
    return cache[path]


def broken_links(outdir, pages=None):
    """``[(page, url, problem)]`` for the built HTML site in ``outdir``.

    ``pages`` lists the pages to check (paths relative to ``outdir``); by default
    every HTML file outside ``_static`` and the like.
    """
    outdir = Path(outdir)
    cache, problems = {}, []
    if pages is None:
        pages = [p.relative_to(outdir).as_posix() for p in sorted(outdir.rglob("*.html"))]
    for rel in pages:
        path = outdir / rel
        if rel.startswith(("_sources/", "_static/", "_images/", "_downloads/")):
            continue
        page = _parse(path, cache)
        for url, is_load in [(u, False) for u in page.links] + [(u, True) for u in page.loads]:
            parts = urlsplit(url)
            if parts.scheme in ("http", "https") or url.startswith("//"):
                if is_load:
                    problems.append((rel, url, "loads from the network"))
                continue
            if parts.scheme:  # mailto:, javascript:, data:
                continue
            target = path if not parts.path else Path(
                posixpath.normpath(posixpath.join(path.parent.as_posix(), unquote(parts.path))))
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                problems.append((rel, url, "no such file"))
                continue
            fragment = unquote(parts.fragment)
            if fragment and target.suffix == ".html" and fragment not in _parse(target,
                                                                                 cache).ids:
                problems.append((rel, url, "no such anchor"))
    return problems


def setup(app):
    from sphinx.util import logging

    logger = logging.getLogger(__name__)

    def check(app, exc):
        if exc is not None or app.builder.format != "html":
            return
        # the pages of this build only (an output folder may hold stale pages)
        pages = [app.builder.get_target_uri(doc) for doc in sorted(app.env.found_docs)]
        pages = [p for p in pages if (Path(app.outdir) / p).exists()]
        for page, url, problem in broken_links(app.outdir, pages + ["genindex.html"]):
            logger.warning(f"{page}: {url}: {problem}", type="site_checks")

    # after the other build-finished handlers (MathJax is copied in one of them)
    app.connect("build-finished", check, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
