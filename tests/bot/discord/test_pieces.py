"""bot/discord/pieces.py: a long reply as Discord messages, cut at line ends, with a note
for what is left out beyond the last message."""

from __future__ import annotations

from bot.discord.pieces import split_reply


def test_a_short_reply_is_one_message() -> None:
    assert split_reply("one\ntwo", 2000, "en") == ["one\ntwo"]


def test_lines_are_kept_whole_and_each_message_fits() -> None:
    lines = [f"line {n:03d} " + "x" * 40 for n in range(100)]
    pieces = split_reply("\n".join(lines), 500, "en")
    assert all(len(piece) <= 500 for piece in pieces)
    assert "\n".join(pieces).splitlines() == lines


def test_a_line_longer_than_a_message_is_cut() -> None:
    pieces = split_reply("a" * 4500, 2000, "en")
    assert [len(piece) for piece in pieces] == [2000, 2000, 500]


def test_beyond_the_last_message_a_note_says_how_much_is_left_out() -> None:
    lines = [f"channel {n:03d} " + "y" * 80 for n in range(100)]
    pieces = split_reply("\n".join(lines), 500, "vi", max_pieces=3)
    assert len(pieces) == 3 and all(len(piece) <= 500 for piece in pieces)
    shown = [line for piece in pieces for line in piece.splitlines()][:-1]
    assert shown == lines[: len(shown)]
    assert pieces[-1].splitlines()[-1] == f"… và {100 - len(shown)} dòng nữa, không hiển thị."
