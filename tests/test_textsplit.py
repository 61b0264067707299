"""Long announcements split at the platform limit, never inside a Thai word."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from pythainlp.tokenize import word_tokenize

from core.textsplit import split_text, utf16_length

THAI_PARAGRAPH = (
    "สำนักงานเขตพื้นที่การศึกษาประถมศึกษาขอเชิญครูทุกท่านเข้าร่วมการประชุมเชิงปฏิบัติการเรื่องการพัฒนาระบบข้อมูลสารสนเทศเพื่อการบริหารจัดการศึกษา"
)


def test_short_text_is_untouched() -> None:
    assert split_text("ประกาศ", 10) == ["ประกาศ"]


def test_paragraphs_come_first() -> None:
    text = "ย่อหน้าแรก\n\nย่อหน้าที่สอง\n\nย่อหน้าที่สาม"
    assert split_text(text, 25) == ["ย่อหน้าแรก\n\nย่อหน้าที่สอง", "ย่อหน้าที่สาม"]


def test_thai_without_spaces_is_cut_between_words() -> None:
    chunks = split_text(THAI_PARAGRAPH, 40)
    assert "".join(chunks) == THAI_PARAGRAPH
    words = word_tokenize(THAI_PARAGRAPH, engine="newmm")
    boundaries = {sum(len(w) for w in words[:i]) for i in range(len(words) + 1)}
    position = 0
    for chunk in chunks[:-1]:
        assert len(chunk) <= 40
        position += len(chunk)
        assert position in boundaries, f"cut inside a word at {position}"


def test_line_limit_counts_utf16_units() -> None:
    emoji_line = "📢" * 3000  # 6,000 UTF-16 units
    chunks = split_text(emoji_line, 5000, utf16_length)
    assert all(utf16_length(c) <= 5000 for c in chunks)
    assert "".join(chunks) == emoji_line


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("กขคงจฉชซ ัาิีุู่้\nabc.")), min_size=1, max_size=400), st.integers(5, 60))
def test_every_chunk_fits_and_nothing_is_lost(text: str, limit: int) -> None:
    chunks = split_text(text, limit)
    assert all(0 < len(c) <= limit for c in chunks)
    assert "".join("".join(c.split()) for c in chunks) == "".join(text.split())


def test_outbox_fits_long_announcements_to_each_platform() -> None:
    from core.model import Attachment, Button, Channel, OutMessage
    from storage.outbox import fit_to_platform

    long_text = "\n\n".join(["ประกาศสำคัญ " * 100] * 6)  # about 7,200 characters
    message = OutMessage(
        text=long_text,
        buttons=(Button("รับทราบ", "ack:1"), Button("สอบถาม", "ask:1")),
        attachment=Attachment("image", "https://example.go.th/poster.jpg"),
    )
    telegram = fit_to_platform(Channel.TELEGRAM, message)
    assert telegram[0] == OutMessage(attachment=message.attachment)
    assert all(len(m.text or "") <= 4096 for m in telegram)
    assert telegram[-1].buttons == message.buttons
    assert all(not m.buttons for m in telegram[:-1])
    line = fit_to_platform(Channel.LINE, message)
    assert len(line) == 3  # the image, then two texts of at most 5,000 UTF-16 units
    short = OutMessage(text="สั้น", attachment=message.attachment)
    assert fit_to_platform(Channel.TELEGRAM, short) == [short]
