"""Stage 1, syntax: Verum-subset source text to a typed AST plus diagnostics."""

from weftc.syntax.parser import ParseResult, parse, parse_file, parse_text

__all__ = ["ParseResult", "parse", "parse_file", "parse_text"]
