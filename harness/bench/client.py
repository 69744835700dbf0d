"""The benchmark's HTTP client: one keep-alive connection per simulated client, to 127.0.0.1."""

from __future__ import annotations

import http.client

from harness.bench.local import JSON, SCOPE


class KeepAlive:
    """One keep-alive HTTP/1.1 connection; ``post`` raises on a non-200 answer."""

    def __init__(self, port: int, path: str) -> None:
        self.port, self.path = port, path
        self.conn: http.client.HTTPConnection | None = None

    def post(self, body: bytes, content_type: str = JSON) -> bytes:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            self.conn.request(
                "POST",
                self.path,
                body=body,
                headers={"Content-Type": content_type, "Accept": JSON, "Authorization": SCOPE},
            )
            response = self.conn.getresponse()
            data = response.read()
        except Exception:
            self.conn.close()
            self.conn = None
            raise
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {data[:200]!r}")
        return data
