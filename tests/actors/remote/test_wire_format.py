"""The frames that share their fields (through a common base struct) keep their own tags
and the same bytes on the wire: a node of this version and one of the previous version
understand each other."""

from __future__ import annotations

import pytest

from actors.remote._wire import (
    DeclaredDown,
    Frame,
    Heartbeat,
    Leave,
    Unwatch,
    Watch,
    decode_frame,
    encode_frame,
)

CASES: list[tuple[Frame, str]] = [
    (Heartbeat("a", "i1"), "9305a161a26931"),
    (Leave("a", "i1"), "9306a161a26931"),
    (DeclaredDown("a", "i1"), "930ca161a26931"),
    (Watch("/p", "i2", "b", "i3"), "9507a22f70a26932a162a26933"),
    (Unwatch("/p", "i2", "b", "i3"), "9508a22f70a26932a162a26933"),
]


@pytest.mark.parametrize(("frame", "wire"), CASES, ids=lambda case: type(case).__name__)
def test_a_frame_has_its_own_tag_and_decodes_back_as_its_own_type(frame: Frame, wire: str) -> None:
    assert encode_frame(frame).hex() == wire
    decoded = decode_frame(bytes.fromhex(wire))
    assert type(decoded) is type(frame)
    assert decoded == frame
