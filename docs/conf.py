"""Sphinx configuration of the skdeepcluster documentation.

The site builds and reads offline: intersphinx uses inventories committed under
``_intersphinx/`` (see ``make_inventories.py`` there), MathJax is served from the
built site (``sphinx-mathjax-offline``, in the ``docs`` extra), benchmark figures are
read from ``benchmarks/results/`` at build time (``_ext/benchmark_results.py``) and
``_ext/site_checks.py`` fails the build on a broken internal link or image.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.abspath(os.path.join(HERE, "..")))
sys.path.insert(0, os.path.join(HERE, "_ext"))

import skdeepcluster  # noqa: E402

project = "skdeepcluster"
author = "The skdeepcluster developers"
copyright = "2026, The skdeepcluster developers"
version = release = skdeepcluster.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax copied into _static: formulas render offline
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "benchmark_results",
    "site_checks",
]

templates_path = ["_templates"]
autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Link the types in Parameters / Returns (``ndarray``, ``torch.nn.Module``) to their docs.
numpydoc_xref_param_type = True
numpydoc_xref_aliases = {
    "ndarray": "numpy.ndarray",
    "RandomState": "numpy.random.RandomState",
    "Generator": "numpy.random.Generator",
    "Tensor": "torch.Tensor",
    "Module": "torch.nn.Module",
    "NeuralNet": "skorch.net.NeuralNet",
    "History": "skorch.history.History",
}
numpydoc_xref_ignore = {
    "of", "or", "and", "shape", "default", "optional", "None", "True", "False", "int",
    "float", "str", "bool", "list", "tuple", "dict", "callable", "array-like", "object",
    "instance", "sequence", "path-like", "iterable", "ints", "floats", "strs", "arrays",
    "n_samples", "n_features", "n_clusters", "n_timesteps", "n_channels", "n",
}
# Document our own inherited methods (fit_predict, fit_transform), not those of
# torch, skorch, scikit-learn's plumbing or Python's exceptions, whose docstrings
# cross-reference their own docs.
autodoc_default_options = {
    "members": True,
    "inherited-members": "Module, NeuralNet, Callback, BaseEstimator, _SetOutputMixin, "
    "_MetadataRequester, BaseException, Exception, Warning, UserWarning, ValueError, "
    "RuntimeError, tuple, object",
}
default_role = "obj"

# Offline inventories, built from the installed packages' public names.
intersphinx_mapping = {
    "python": ("https://docs.python.org/3/", "_intersphinx/python.inv"),
    "sklearn": ("https://scikit-learn.org/stable/", "_intersphinx/sklearn.inv"),
    "numpy": ("https://numpy.org/doc/stable/", "_intersphinx/numpy.inv"),
    "torch": ("https://docs.pytorch.org/docs/stable/", "_intersphinx/torch.inv"),
    "skorch": ("https://skorch.readthedocs.io/en/stable/", "_intersphinx/skorch.inv"),
}

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"quickstart\.py",
    "download_all_examples": False,
    "remove_config_comments": True,
    # "Examples using this" on each API page
    "doc_module": ("skdeepcluster",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"skdeepcluster": None},
    # figures at twice the resolution, shown at their normal size
    "image_srcset": ["2x"],
    "matplotlib_animations": False,
    "within_subsection_order": "FileNameSortKey",
    # the timing pages load jQuery from a CDN; the site must work offline
    "write_computation_times": False,
}

html_theme = "pydata_sphinx_theme"
html_title = "skdeepcluster"
html_static_path = ["_static"]
html_css_files = ["skdeepcluster.css"]
html_theme_options = {
    # User guide, API reference, Examples and Benchmarks in the top bar, none under "More"
    "header_links_before_dropdown": 6,
    "navigation_with_keys": False,
    "show_toc_level": 2,
    # the front page's tables use the full width
    "secondary_sidebar_items": {"**": ["page-toc", "sourcelink"], "index": []},
}
html_sidebars = {"index": []}
# sg_execution_times: sphinx-gallery's timing page loads jQuery from a CDN
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py",
                    "auto_examples/*.md5", "_intersphinx", "sg_execution_times.rst",
                    "auto_examples/sg_execution_times.rst"]
