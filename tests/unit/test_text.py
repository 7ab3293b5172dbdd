"""Golden cases for clean_text: one line of data per behaviour (id, input, expected)."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from smartloop.text import _clean_any_text, clean_text, clean_text_arrow

CASES: list[tuple[str, str | None, str | None]] = [
    # HTML entities
    ("amp entity", "Tom &amp; Jerry", "Tom & Jerry"),
    ("numeric apostrophe", "I&#39;m here", "I'm here"),
    ("lt entity heart", "I &lt;3 this", "I <3 this"),
    ("quot entity", "&quot;quoted&quot;", '"quoted"'),
    ("hex entity emoji", "&#x1F600;", "😀"),
    ("nbsp entity", "a&nbsp;b", "a b"),
    ("double escape unescaped once", "&amp;lt;", "&lt;"),
    ("escaped tag stays as text", "&lt;b&gt;bold&lt;/b&gt;", "<b>bold</b>"),
    ("unknown entity kept", "&bogus; & done", "&bogus; & done"),
    # tags
    ("br self-closing", "one<br />two", "one two"),
    ("br uppercase", "one<BR>two", "one two"),
    ("paragraphs", "<p>one</p><p>two</p>", "one two"),
    ("div and list items", "<div>a</div><ul><li>b</li></ul>", "a b"),
    ("inline tag joins", "<b>bo</b>ld", "bold"),
    ("anchor keeps href", '<a href="http://x.io">this</a>', "http://x.io this"),
    (
        "anchor single quotes",
        "<a class=\"l\" href='https://y.io/p?q=1' rel=x>go</a>",
        "https://y.io/p?q=1 go",
    ),
    ("anchor unquoted uppercase", "<A HREF=http://z.io>z</A>", "http://z.io z"),
    ("anchor href entity", '<a href="http://x.io/?a=1&amp;b=2">l</a>', "http://x.io/?a=1&b=2 l"),
    ("anchor without href", "<a name=top>top</a>", "top"),
    ("image dropped", '<img src="x.png" alt="a b"/>pic', "pic"),
    ("script dropped with its code", "a<script>alert(1)</script>b", "ab"),
    ("style dropped with its rules", "<style>p {color: red}</style>text", "text"),
    ("comment", "see <!-- hidden --> this", "see this"),
    ("comment over lines with tags", "a<!-- x\n<b>y</b> -->b", "ab"),
    ("markup only", "<br><p></p>", None),
    (
        "youtube comment",
        'Hey guys, I&#39;m here.<br /><br />Check <a href="http://x.io">this</a>\ufeff',
        "Hey guys, I'm here. Check http://x.io this",
    ),
    # "<" that is not a tag
    ("spaced comparison", "a < b and c > d", "a < b and c > d"),
    ("heart", "<3", "<3"),
    ("hearts in text", "love u <3 <3", "love u <3 <3"),
    ("arrows", "a -> b <- c", "a -> b <- c"),
    ("numeric comparison", "1<2 and 3>2", "1<2 and 3>2"),
    ("unspaced comparison", "if x<y and y>z then x<z", "if x<y and y>z then x<z"),
    ("unknown element name", "a <foo> b", "a <foo> b"),
    # NFKC
    ("full-width letters", "ｆｕｌｌ ｗｉｄｔｈ", "full width"),
    ("full-width digits and punctuation", "Ａ１！", "A1!"),
    ("ideographic space", "a\u3000b", "a b"),
    ("ligature fi", "\ufb01ne", "fine"),
    ("superscripts", "x\u00b2 + y\u00b3", "x2 + y3"),
    ("roman numeral", "Ⅻ", "XII"),
    ("half-width katakana", "ｶﾀｶﾅ", "カタカナ"),
    ("combining accent composed", "e\u0301", "é"),
    # invisible characters
    ("zero-width space", "a\u200bb", "ab"),
    ("byte order mark", "\ufeffhello", "hello"),
    ("zero-width non-joiner", "a\u200cb", "ab"),
    ("word joiner", "a\u2060b", "ab"),
    ("soft hyphen", "co\u00adop", "coop"),
    ("zero-width space entity", "a&#8203;b", "ab"),
    ("ZWJ family emoji kept", "👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"),
    ("ZWJ rainbow flag kept", "🏳\ufe0f\u200d🌈 pride", "🏳\ufe0f\u200d🌈 pride"),
    # whitespace and empties
    ("tabs and newlines collapse", " a\t\tb\n\n c\r\n", "a b c"),
    ("no-break space", "a\u00a0b", "a b"),
    ("line separator", "a\u2028b", "a b"),
    ("None", None, None),
    ("empty", "", None),
    ("whitespace only", " \t\n ", None),
    ("invisible only", "\u200b\ufeff", None),
    ("nbsp entity only", "&nbsp;", None),
    # scripts and emoji
    ("cyrillic", "Привет, мир", "Привет, мир"),
    ("cjk", "日本語のテキスト", "日本語のテキスト"),
    ("arabic", "مرحبا بالعالم", "مرحبا بالعالم"),
    ("devanagari", "नमस्ते दुनिया", "नमस्ते दुनिया"),
    ("thai", "สวัสดี", "สวัสดี"),
    ("emoji with skin tone and variation", "ok 👍🏽 ❤\ufe0f", "ok 👍🏽 ❤\ufe0f"),
    # control characters become spaces
    *[(f"control U+{c:04X}", f"a{chr(c)}b", "a b") for c in (*range(0x20), 0x7F)],
    ("C1 control", "a\x80b", "a b"),
    ("last C1 control", "a\x9fb", "a b"),
    ("next line (C1 control and whitespace)", "a\x85b", "a b"),
    ("no control after the C1 range", "a\xa0\xa1b", "a \xa1b"),
]


@pytest.mark.parametrize(
    ("text", "expected"), [pytest.param(text, want, id=name) for name, text, want in CASES]
)
def test_clean_text(text: str | None, expected: str | None) -> None:
    assert clean_text(text) == expected


def test_case_ids_are_unique() -> None:
    names = [name for name, _, _ in CASES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize(
    "to_arrow",
    [
        pytest.param(lambda v: pa.array(v, type=pa.string()), id="string"),
        pytest.param(lambda v: pa.array(v, type=pa.large_string()), id="large_string"),
        pytest.param(lambda v: pa.chunked_array([v[:5], v[5:]], type=pa.string()), id="chunked"),
    ],
)
def test_clean_text_arrow_cleans_every_golden_input(to_arrow) -> None:
    out = clean_text_arrow(to_arrow([text for _, text, _ in CASES]))
    assert out.type == pa.string()
    assert out.to_pylist() == [want for _, _, want in CASES]


def test_clean_text_arrow_keeps_nulls_and_length() -> None:
    out = clean_text_arrow(pa.array([None, "  ", "a&amp;b", None], type=pa.string()))
    assert out.to_pylist() == [None, None, "a&b", None]
    assert out.null_count == 3


def test_plain_ascii_shortcut_agrees_with_every_step() -> None:
    # ASCII texts built from the characters each step looks at: the shortcut for plain
    # printable ASCII must give what the full cleaning gives, and texts it must not take
    # (controls, tags, entities) still go through every step.
    rng = random.Random(7)
    alphabet = ["a", "Z", "0", " ", "  ", "\t", "\n", "\r", "\x0b", "\x0c", "\x01", "\x1f", "\x7f"]
    alphabet += ["<", ">", "&", ";", "amp", "#39", "br", "/", "=", '"', "'", "x<y", "<b>", "&lt;"]
    for _ in range(5_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        assert clean_text(text) == _clean_any_text(text), repr(text)
