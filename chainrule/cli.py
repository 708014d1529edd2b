"""The ``chainrule`` command: the demos, run from any folder once ``pip install "chainrule[demo]"``
has installed them (in the repository, ``python -m demos.NAME`` runs the same code).

    chainrule mnist [--experiment ...]      # = python -m demos.mnist
    chainrule backprop-steps [--out DIR]    # = python -m demos.backprop_steps
    chainrule gradcheck-handwritten         # = python -m demos.gradcheck_handwritten
    chainrule DEMO --help                   # the demo's own options
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from importlib.metadata import version
from types import ModuleType

DEMOS = ("mnist", "backprop-steps", "gradcheck-handwritten")
"""The command names; each is the module ``chainrule.demos.NAME`` with ``_`` for ``-``."""


def demo(name: str) -> ModuleType:
    """The demo module of the command ``name``: ``chainrule.demos.backprop_steps`` for ``backprop-steps``."""
    return importlib.import_module(f"chainrule.demos.{name.replace('-', '_')}")


def parser() -> argparse.ArgumentParser:
    """``chainrule``'s options and one sub-command per demo, each with its docstring's first line."""
    p = argparse.ArgumentParser(prog="chainrule", description="Run one of chainrule's demos.",
                                epilog="Run 'chainrule DEMO --help' for a demo's options.  mnist and "
                                       "backprop-steps write their files under ./demo-output (--out).")
    p.add_argument("--version", action="version", version=f"%(prog)s {version('chainrule')}")
    commands = p.add_subparsers(dest="demo", metavar="DEMO", required=True)
    for name in DEMOS:
        summary = (demo(name).__doc__ or "").split("\n")[0]
        # add_help=False: the demo's own parser answers --help, with its own options.
        commands.add_parser(name, help=summary, add_help=False)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """``chainrule DEMO ARGS``: the demo's ``main(ARGS, prog="chainrule DEMO")``, its exit status."""
    args, rest = parser().parse_known_args(sys.argv[1:] if argv is None else argv)
    status: int = demo(args.demo).main(rest, prog=f"chainrule {args.demo}")
    return status
