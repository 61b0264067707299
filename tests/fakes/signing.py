"""The webhook signature LINE puts in `X-Line-Signature`, so tests can post bodies the real parser accepts."""

from __future__ import annotations

import base64
import hashlib
import hmac


def line_signature(channel_secret: str, body: bytes) -> str:
    """base64(HMAC-SHA256(channel secret, raw body)): LINE signs the exact bytes it sends, so sign bytes, not JSON."""
    digest = hmac.new(channel_secret.encode("utf-8"), body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")
