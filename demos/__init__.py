"""Runnable demonstrations: ``python -m demos.NAME`` from the repository root; installed
(``pip install "chainrule[demo]"``), the same modules are ``chainrule.demos`` and run as
``chainrule NAME`` from any folder (:mod:`chainrule.cli`)."""
