"""Sphinx configuration of the skdeepcluster documentation."""

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

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
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

autosummary_generate = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
# Document our own inherited methods (fit_predict, fit_transform), not those of
# torch, skorch and scikit-learn's plumbing, whose docstrings cross-reference their
# own docs.
autodoc_default_options = {
    "members": True,
    "inherited-members": "Module, NeuralNet, Callback, BaseEstimator, _SetOutputMixin, "
    "_MetadataRequester",
}
default_role = "obj"

# Links to the projects our docstrings mention (only used when reachable; the build
# itself works offline).
intersphinx_mapping = {}

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"quickstart\.py",
    "download_all_examples": False,
    "remove_config_comments": True,
}

html_theme = "pydata_sphinx_theme"
html_title = "skdeepcluster"
html_static_path = []
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/*.py"]
