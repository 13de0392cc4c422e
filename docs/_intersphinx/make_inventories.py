"""Write the intersphinx inventories of Python, scikit-learn, NumPy, PyTorch and skorch.

The docs build offline (here and in CI), so intersphinx cannot download the projects'
``objects.inv``. This script builds one inventory per project from the public names
of the installed package (for Python, the names our docstrings use) and the URL
pattern of its online reference, and writes
``docs/_intersphinx/<project>.inv``, which ``docs/conf.py`` maps to the online docs.
Rerun it after upgrading one of these packages::

    pip install sphobjinv && python docs/_intersphinx/make_inventories.py
"""

import importlib
import inspect
import pkgutil
from pathlib import Path

import sphobjinv as soi

HERE = Path(__file__).resolve().parent


def _public(module):
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
    for name in names:
        try:
            obj = getattr(module, name, None)
        except ImportError:  # experimental names that need an explicit enable_* import
            continue
        if inspect.isclass(obj) or inspect.isroutine(obj):
            yield name, obj


def _members(cls):
    for name, obj in vars(cls).items():
        if not name.startswith("_") and (inspect.isroutine(obj) or isinstance(
                obj, (property, classmethod, staticmethod))):
            yield name, "attribute" if isinstance(obj, property) else "method"


def _add(inv, name, role, uri, domain="py", dispname="-"):
    inv.objects.append(soi.DataObjStr(name=name, domain=domain, role=role, priority="1",
                                      uri=uri, dispname=dispname))


def _add_object(inv, fullname, obj, page, members=True):
    """``fullname`` (and, for a class, its methods) documented on ``page``."""
    role = "class" if inspect.isclass(obj) else "function"
    if inspect.isclass(obj) and issubclass(obj, BaseException):
        role = "exception"
    _add(inv, fullname, role, f"{page}#{fullname}")
    if inspect.isclass(obj) and members:
        for member, kind in _members(obj):
            _add(inv, f"{fullname}.{member}", kind, f"{page}#{fullname}.{member}")


def _inventory(project, version):
    inv = soi.Inventory()
    inv.project, inv.version = project, version
    return inv


def sklearn_inventory():
    import sklearn

    inv = _inventory("scikit-learn", sklearn.__version__)
    for info in pkgutil.iter_modules(sklearn.__path__):
        if info.name.startswith("_") or info.name in ("tests", "conftest", "externals"):
            continue
        modname = f"sklearn.{info.name}"
        try:
            module = importlib.import_module(modname)
        except Exception:  # optional dependencies, experimental imports
            continue
        _add(inv, modname, "module", f"api/{modname}.html#module-{modname}")
        for name, obj in _public(module):
            full = f"{modname}.{name}"
            _add_object(inv, full, obj, f"modules/generated/{full}.html")
    return inv


def numpy_inventory():
    import numpy

    inv = _inventory("NumPy", numpy.__version__)
    for name, obj in _public(numpy):
        full = f"numpy.{name}"
        _add_object(inv, full, obj, f"reference/generated/{full}.html")
    for name, page in [("Generator", "generator"), ("RandomState", "legacy")]:
        _add_object(inv, f"numpy.random.{name}", getattr(numpy.random, name),
                    f"reference/random/{page}.html")
    # numpydoc links "array-like" to this glossary term
    _add(inv, "array_like", "term", "glossary.html#term-array_like", "std", "array_like")
    for name in ("default_rng", "seed"):
        full = f"numpy.random.{name}"
        _add(inv, full, "function", f"reference/random/generated/{full}.html#{full}")
    return inv


def torch_inventory():
    import torch
    import torch.nn.functional  # noqa: F401
    import torch.utils.data

    inv = _inventory("PyTorch", torch.__version__.split("+")[0])
    special = {"torch.Tensor": "tensors.html", "torch.autocast": "amp.html",
               "torch.device": "tensor_attributes.html",
               "torch.dtype": "tensor_attributes.html",
               "torch.Generator": "generated/torch.Generator.html"}
    for modname in ("torch", "torch.nn", "torch.optim", "torch.optim.lr_scheduler",
                    "torch.nn.functional", "torch.nn.init"):
        module = importlib.import_module(modname)
        for name, obj in _public(module):
            full = f"{modname}.{name}"
            if modname == "torch" and not (inspect.isclass(obj) or callable(obj)):
                continue
            _add_object(inv, full, obj, special.get(full, f"generated/{full}.html"),
                        members=full in ("torch.nn.Module", "torch.Tensor"))
    for name in ("Dataset", "DataLoader", "TensorDataset", "Sampler", "Subset",
                 "IterableDataset"):
        _add_object(inv, f"torch.utils.data.{name}", getattr(torch.utils.data, name),
                    "data.html", members=False)
    return inv


def skorch_inventory():
    import skorch

    inv = _inventory("skorch", skorch.__version__)
    for page in ("net", "callbacks", "classifier", "regressor", "dataset", "helper",
                 "history", "exceptions", "scoring", "utils", "probabilistic", "toy"):
        modname = f"skorch.{page}"
        try:
            module = importlib.import_module(modname)
        except Exception:
            continue
        _add(inv, modname, "module", f"{page}.html#module-{modname}")
        for name, obj in _public(module):
            if getattr(obj, "__module__", "").startswith(modname):
                _add_object(inv, f"{modname}.{name}", obj, f"{page}.html")
    for name, obj in _public(skorch):  # the top-level aliases (skorch.NeuralNet)
        home = getattr(obj, "__module__", "")
        if home.startswith("skorch.") and home.count(".") == 1:
            _add(inv, f"skorch.{name}", "class" if inspect.isclass(obj) else "function",
                 f"{home.split('.')[1]}.html#{home}.{name}")
    return inv


def python_inventory():
    """The built-ins, exceptions, modules and glossary terms our docstrings name."""
    import builtins
    import sys

    inv = _inventory("Python", f"{sys.version_info.major}.{sys.version_info.minor}")
    types = {"list": "stdtypes", "tuple": "stdtypes", "str": "stdtypes", "dict": "stdtypes",
             "set": "stdtypes", "bytes": "stdtypes", "int": "functions",
             "float": "functions", "bool": "functions", "object": "functions",
             "slice": "functions", "range": "stdtypes"}
    for name, page in types.items():
        _add(inv, name, "class", f"library/{page}.html#{name}")
    for name in ("callable", "len", "isinstance", "print", "open", "iter"):
        _add(inv, name, "function", f"library/functions.html#{name}")
    for name in ("None", "True", "False", "Ellipsis"):
        _add(inv, name, "data", f"library/constants.html#{name}")
    for name, obj in vars(builtins).items():
        if inspect.isclass(obj) and issubclass(obj, BaseException):
            _add(inv, name, "exception", f"library/exceptions.html#{name}")
    for module in ("pickle", "os", "pathlib", "zipfile", "json", "warnings",
                   "contextlib", "collections"):
        _add(inv, module, "module", f"library/{module}.html#module-{module}")
    _add(inv, "contextlib.contextmanager", "function",
         "library/contextlib.html#contextlib.contextmanager")
    _add(inv, "collections.namedtuple", "function",
         "library/collections.html#collections.namedtuple")
    _add(inv, "pathlib.Path", "class", "library/pathlib.html#pathlib.Path")
    for term in ("iterable", "sequence", "generator", "path-like object", "file object",
                 "context manager"):
        _add(inv, term, "term", f"glossary.html#term-{term.replace(' ', '-')}", "std", term)
    _add(inv, "bltin-boolean-values", "label", "library/stdtypes.html#bltin-boolean-values",
         "std", "Boolean Type - bool")
    return inv


def main():
    for stem, make in [("python", python_inventory),
                       ("sklearn", sklearn_inventory), ("numpy", numpy_inventory),
                       ("torch", torch_inventory), ("skorch", skorch_inventory)]:
        inv = make()
        path = HERE / f"{stem}.inv"
        soi.writebytes(path, soi.compress(inv.data_file(contract=True)))
        print(f"{path.name}: {len(inv.objects)} names ({inv.project} {inv.version})")


if __name__ == "__main__":
    main()
