"""Sphinx configuration of chainrule's documentation site.

Sphinx reads the docstrings as they are written (reStructuredText roles, ``>>>``
examples), myst-nb runs the tutorial notebooks and renders their outputs (the stepper's
``<iframe>``, Graphviz SVGs), furo is the theme and sphinx-mathjax-offline copies MathJax
into the site.  The built pages load nothing from the network.

Build (strict: a warning is an error)::

    sphinx-build -W --keep-going -n -b html docs docs/_build/html
"""

from __future__ import annotations

import builtins
import inspect
import os
import re
import sys
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
# The docs describe this checkout: autodoc imports it, and so do the notebooks' kernels
# (child processes, which inherit PYTHONPATH), even where another chainrule is installed.
sys.path.insert(0, str(ROOT))
os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])

import autograd  # noqa: E402 - after the path above
import autograd.checking  # noqa: E402
import autograd.extend  # noqa: E402
import autograd.node  # noqa: E402
import nn  # noqa: E402, F401 - its modules, for _NOT_INHERITED

project = "chainrule"
author = "chainrule contributors"
copyright = "chainrule contributors, MIT License"
release = "0.1.0"

extensions = [
    "myst_nb",  # Markdown pages and notebooks (includes myst_parser)
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "sphinx-mathjax-offline",  # the package's folder name; it bundles MathJax 3 into _static
]
exclude_patterns = ["_build", "jupyter_execute", "**.ipynb_checkpoints"]

html_theme = "furo"
html_title = "chainrule"

# -- MyST and notebooks ------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3
nb_execution_mode = "force"  # the notebooks are stored without outputs: the build makes them
nb_execution_raise_on_error = True
nb_execution_timeout = 300
nb_execution_in_temp = True  # files a tutorial writes land in a temporary folder, not in docs/
nb_kernel_rgx_aliases = {".*": "python3"}  # whatever kernel a notebook names: ipykernel on this Python
nb_ipywidgets_js: dict[str, dict[str, str]] = {}  # no require.js or widget scripts from a CDN
# The stepper is an <iframe srcdoc> in text/html; draw() gives image/svg+xml: those first, as
# myst-nb's own order for HTML has them (said here so that a change of default shows).  No
# application/javascript output: a script in a page could load anything.
nb_mime_priority_overrides = [("html", "text/html", 10), ("html", "image/svg+xml", 20),
                              ("html", "application/javascript", None)]

# -- API reference -----------------------------------------------------------------
# A class shows the members it inherits from Node (a Value's tanh(), a Tensor's relu()) and
# no others: a layer does not repeat Module's methods, nor an exception BaseException's.
_OURS = [module for name, module in list(sys.modules.items()) if name.split(".")[0] in ("autograd", "nn")]
_NOT_INHERITED = {name for name, kind in vars(builtins).items() if isinstance(kind, type)} | {
    kind.__name__ for module in _OURS for kind in vars(module).values()
    if isinstance(kind, type) and kind is not autograd.node.Node}
autodoc_default_options = {"members": True, "show-inheritance": True, "member-order": "bysource",
                           "inherited-members": ",".join(sorted(_NOT_INHERITED))}
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
# A docstring's first line is the formula (``tanh(self)``), never a signature to show instead.
autodoc_docstring_signature = False

# Where each re-exported object is documented: under the name users import it by, in
# the first of these modules that exports it.  Other pages skip it, so no object is
# described twice.
PUBLIC = ("autograd", "nn", "autograd.extend", "autograd.checking")
HOME: dict[int, str] = {}
"""id of a re-exported function or class -> the name it is documented under."""
for _name in PUBLIC:
    _module = sys.modules[_name]
    for _member in _module.__all__:
        _obj = getattr(_module, _member)
        if callable(_obj):
            HOME.setdefault(id(_obj), f"{_name}.{_member}")


def skip_member(app: Any, what: str, name: str, obj: Any, skip: bool, options: Any) -> bool | None:
    """Skip a re-exported object on every page but its home, and the methods of another
    library's class (``graphviz.Digraph``, the type of what ``draw`` returns)."""
    if what == "module":
        home = HOME.get(id(obj))
        page = app.env.docname.removeprefix("api/")
        if home is not None and home.rsplit(".", 1)[0] != page:
            return True
    elif what in ("class", "exception"):
        routine = obj.fget if isinstance(obj, property) else obj
        module = getattr(routine, "__module__", None) if inspect.isroutine(routine) else None
        if module and module.split(".")[0] not in ("autograd", "nn"):  # graphviz.Digraph's methods
            return True
    return None


def drop_object(app: Any, name: str, obj: Any, options: Any, bases: list[type]) -> None:
    """``Bases: object`` says nothing."""
    if object in bases:
        bases.remove(object)


def resolve_elsewhere(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """Resolve what Sphinx's exact lookup missed, or say why it need not resolve.

    A docstring names objects as its own module sees them (``:func:`trace``` in
    :mod:`autograd.tracing`), while the site documents each object once, under the name users
    import (``autograd.trace``).  Such a name resolves to what it names where the docstring was
    written (``RTOL`` in ``autograd.exercises``), else to the one object of that kind whose name
    ends with it (two or more: Sphinx warns, and the strict build fails); a field that
    its class's docstring describes (``Feedback.slips``) links to the class.  Names from
    outside the project (Python's, numpy's, graphviz's), private names and type variables
    are text: the build fetches no inventory of other sites (it has no network)."""
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"].removeprefix("~").removeprefix(".")
    domain = env.get_domain("py")
    home = HOME.get(id(_lookup(target)))
    if home is not None:  # autograd.checking.gradcheck, documented as autograd.gradcheck
        return domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], home, node, contnode)
    written = re.search(r"docstring of ([\w.]+)", node.source or "")
    if written:  # a name means what it means in the module that wrote the docstring
        parts = written[1].split(".")
        for k in range(len(parts), 0, -1):
            found = domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"],
                                        ".".join([*parts[:k], target]), node, contnode)
            if found is not None:
                return found
    if not node.get("refspecific"):
        node["refspecific"] = True
        found = domain.resolve_xref(env, node["refdoc"], app.builder, node["reftype"], target, node, contnode)
        node["refspecific"] = False
        if found is not None:
            return found
    if node["reftype"] == "attr" and "." in target:  # a field described in its class's docstring
        node["refspecific"] = True
        found = domain.resolve_xref(env, node["refdoc"], app.builder, "class", target.rsplit(".", 1)[0],
                                    node, contnode)
        node["refspecific"] = False
        if found is not None:
            return found
    first = target.split(".")[0]
    if (first in sys.stdlib_module_names or first in EXTERNAL or hasattr(builtins, target)
            or any(part.startswith("_") for part in target.split("."))
            or isinstance(_lookup(target), TypeVar)):
        return contnode
    return None


EXTERNAL = {"np", "numpy", "npt", "graphviz", "hypothesis", "Any", "Callable", "Iterable", "Iterator",
            "Mapping", "Sequence", "Generator", "TypeAlias", "Literal", "ArrayLike", "NDArray"}
"""First components of names from outside the project (``Any``: type hints name typing's)."""


def _lookup(dotted: str) -> Any:
    """The object a dotted name of chainrule names, or None."""
    parts = dotted.split(".")
    for k in range(len(parts), 0, -1):
        module = sys.modules.get(".".join(parts[:k]))
        if module is not None:
            obj: Any = module
            for part in parts[k:]:
                obj = getattr(obj, part, None)
            return obj
    return None


_SUBSTITUTION = re.compile(r"(``.*?``)|(?<![\\\w|])\|([^\s|`](?:[^|`]*[^\s|`])?)\|(?![\w|])")


def escape_bars(app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    """``|x|`` and ``|a - n|`` in a docstring are absolute values, not reST substitution
    references (outside ``literals`` and ``>>>`` examples)."""
    for i, line in enumerate(lines):
        if not line.lstrip().startswith((">>>", "...")):
            lines[i] = _SUBSTITUTION.sub(lambda m: m[1] or rf"\|{m[2]}\|", line)


def setup(app: Any) -> None:
    app.connect("autodoc-skip-member", skip_member)
    app.connect("autodoc-process-bases", drop_object)
    app.connect("autodoc-process-docstring", escape_bars)
    app.connect("missing-reference", resolve_elsewhere)
