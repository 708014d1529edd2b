"""The ``chainrule`` command (:mod:`chainrule.cli`) and the demos it runs (``chainrule.demos``,
the repository's ``demos/`` folder).  The library itself is imported as ``autograd`` and ``nn``."""
