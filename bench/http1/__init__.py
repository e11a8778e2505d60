"""HTTP/1.1 throughput, latency and idle-memory benchmark against peer servers."""
