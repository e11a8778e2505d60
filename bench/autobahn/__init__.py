"""Autobahn|Testsuite conformance run for weft's WebSocket server."""
