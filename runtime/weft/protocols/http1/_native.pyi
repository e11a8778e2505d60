"""Types of the C accelerator `_native.c` (see its header comment)."""

from typing import Any

def bind(parser_type: type, request_type: type, headers_type: type, split_fields: Any,
         need_data: object, head_state: object) -> None: ...
def next_request(parser: Any) -> Any: ...
def head_length(data: bytes) -> int: ...

#: `next_request` wrapped to bind like a function when set on the parser class
next_request_method: Any
