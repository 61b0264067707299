"""/media/<token> names the file in Content-Disposition safely, whatever the sender's app called it (RFC 6266)."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from aiohttp.multipart import content_disposition_filename, parse_content_disposition

from storage import media
from storage.db import Database
from tests.harness import running

NAMES = [
    'memo "urgent" 2.pdf',  # a quote ended the quoted value
    "report\r\nSet-Cookie: x=1.pdf",  # CR/LF made aiohttp drop the connection (and would be header injection)
    "แบบฟอร์มขออนุญาต ปี ๒๕๖๗.pdf",  # Thai was sent as raw bytes
]


@pytest.mark.parametrize("name", NAMES)
async def test_a_file_name_comes_back_exactly_from_the_header(db: Database, name: str) -> None:
    async with running(db) as h:
        async with db.sessions() as session, session.begin():
            token = await media.store(
                session, b"%PDF-1.4 test", content_type="application/pdf", filename=name, now=h.clock.now()
            )
        response = await h.client.get(f"/media/{token}")
        assert response.status == 200
        assert await response.read() == b"%PDF-1.4 test"
        assert "Set-Cookie" not in response.headers
        header = response.headers["Content-Disposition"]
        assert header.isascii() and "\r" not in header and "\n" not in header
        assert "filename*=utf-8''" in header
        # Read back as a client does: RFC 6266's filename* first; the plain fallback percent-decodes to it too.
        disposition, params = parse_content_disposition(header)
        assert disposition == "inline"
        assert params["filename*"] == name
        assert content_disposition_filename(params, "filename") == name
        assert unquote(params["filename"]) == name
