"""Types of the C accelerator `_native.c` (see its header comment)."""

from typing import Any

def bind(router_type: type, route_type: type, plan_type: type, request_type: type,
         response_type: type, py_eager: Any, into_response: Any, route_key: str,
         text_header: tuple[str, str], shape_request: int) -> None: ...
def eager(router: Any, request: Any) -> Any: ...

#: `eager` wrapped to bind like a function when set on the Router class
eager_method: Any
