"""The jinja2 seam: templates in `weftc/codegen/templates/` become file texts.

jinja2 enters the compiler through this module only. The templates receive
already-lowered lines; they fix the layout (docstrings, sections, route
table) so a newcomer reads the same shape in every generated package.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import jinja2

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=False,  # the output is Python source, not HTML
        keep_trailing_newline=True,
        trim_blocks=False,
        undefined=jinja2.StrictUndefined,
    )


def render(template: str, **context: object) -> str:
    text = environment().get_template(template).render(**context)
    return _tidy(text)


def _tidy(text: str) -> str:
    """At most two blank lines in a row, no trailing spaces, one final newline."""
    out: list[str] = []
    blanks = 0
    for line in text.splitlines():
        line = line.rstrip()
        blanks = blanks + 1 if not line else 0
        if blanks <= 2:
            out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"
