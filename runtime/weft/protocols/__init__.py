"""L3: protocol cores. Each is sans-IO: it is fed bytes and returns events,
and turns responses into bytes. Nothing here imports asyncio or touches a
socket; the asyncio adapters live in `weft.connection`."""
