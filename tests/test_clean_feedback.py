"""Student text made safe (clean.py), the feedback page (feedback.py) and the Validate dialog.

Everything a student controls reaches the page, a CSV or a dialog; these tests put hostile text
in every such place and look for it unescaped.
"""

from __future__ import annotations

import base64
import html
import re
from html.parser import HTMLParser

import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from autodiff_course import clean, feedback
from autodiff_course.feedback import Cell, Part
from autodiff_course.lab_validate import dialog_reply

# ---------------------------------------------------------------------------------------------
# clean.text


@pytest.mark.parametrize("raw, cleaned", [
    ("a\x1b[31mred\x1b[0m b", "ared b"),
    ("\x1b[2J\x1b[Hcleared", "cleared"),
    ("\x1b[?25lhidden cursor\x1b[?25h", "hidden cursor"),
    ("\x1b[38;5;196mcolour\x1b[m", "colour"),
    ("x\x1b]0;window title\x07y", "xy"),
    ("x\x1b]8;;http://evil.example\x1b\\link\x1b]8;;\x1b\\y", "xlinky"),
    ("x\x1bMy", "xy"),  # a lone ESC + Fe byte (reverse index)
])
def test_text_removes_ansi_sequences(raw, cleaned):
    assert clean.text(raw) == cleaned


def test_text_removes_c0_controls_except_tab_and_newline():
    c0 = "".join(chr(c) for c in range(0x20) if c != 0x0D)  # CR: see the next test
    out = clean.text(f"a{c0}b")
    assert out == "a\t\nb"


def test_text_turns_carriage_returns_into_newlines():
    assert clean.text("a\r\nb\rc") == "a\nb\nc"


def test_text_removes_del_and_c1_controls():
    c1 = "".join(chr(c) for c in range(0x80, 0xA0))
    assert clean.text(f"a\x7f{c1}b") == "ab"
    assert clean.text("\x9b31mx") == "31mx"  # the single-byte CSI is gone, not interpreted


@pytest.mark.parametrize("mark", ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
                                  "\u2066", "\u2067", "\u2068", "\u2069"])
def test_text_removes_bidi_overrides(mark):
    trojan = f"if access == 'user{mark}' # admin"
    out = clean.text(trojan)
    assert mark not in out
    assert out == "if access == 'user' # admin"


def test_text_replaces_lone_surrogates():
    out = clean.text("lone\ud800x\udfffy")
    out.encode("utf-8")  # no UnicodeEncodeError
    assert out.startswith("lone") and out.endswith("y") and "x" in out


def test_text_keeps_ordinary_unicode_and_layout():
    s = "∂f/∂x = 2·x\tété\n日本 🧮"
    assert clean.text(s) == s


def test_text_converts_non_strings_and_caps():
    assert clean.text(12.5) == "12.5"
    assert clean.text(None) == "None"
    out = clean.text("x" * 50, limit=10)
    assert len(out) == 10 and out.endswith("…")
    assert clean.text("x" * 10, limit=10) == "x" * 10


# ---------------------------------------------------------------------------------------------
# clean.line and clean.csv_field


def test_line_folds_whitespace():
    assert clean.line("  a \n\t b \r\n  c  ") == "a b c"
    assert clean.line("one\u2028two\u3000three") == "one two three"
    assert clean.line("one\x0btwo") == "onetwo"  # a control character, removed, not a space
    assert "\n" not in clean.line("x\n" * 10)


def test_line_caps_length():
    assert len(clean.line("x" * 1000)) == 500
    out = clean.line("word " * 100, 20)
    assert len(out) == 20 and out.endswith("…")
    assert clean.line("short", 20) == "short"


def test_line_cleans_as_text_does():
    assert clean.line("\x1b[31mred\x1b[0m\u202e!") == "red!"


@pytest.mark.parametrize("raw", ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "\t+x",
                                 "  =HYPERLINK(\"http://x\")", "\n-2"])
def test_csv_field_neutralises_formulas(raw):
    out = clean.csv_field(raw)
    assert not out.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert out.startswith("'")


@pytest.mark.parametrize("raw", ["\tplain", "\rplain"])
def test_csv_field_never_starts_with_tab_or_cr(raw):
    assert not clean.csv_field(raw).startswith(("\t", "\r"))


@pytest.mark.parametrize("raw", ["alice", "a=1", "3 - 2", "x@example.org", "'quoted"])
def test_csv_field_leaves_ordinary_text(raw):
    assert clean.csv_field(raw) == raw


def test_csv_field_is_one_capped_line():
    out = clean.csv_field("=" + "x\n" * 5000)
    assert "\n" not in out and len(out) <= 2001 and out.startswith("'=")


# ---------------------------------------------------------------------------------------------
# clean.inert_markdown


def test_inert_markdown_escapes_html():
    out = clean.inert_markdown("<script>alert(1)</script> and <img src=x onerror=alert(1)>")
    assert "<" not in out
    assert out.count("&lt;") == 3


@pytest.mark.parametrize("link", [
    "[a](javascript:alert(1))",
    "[a](JaVaScRiPt :alert(1))",
    "[a](java script:alert(1))",
    "[a](vbscript:msgbox(1))",
    "[a](VBScript:msgbox(1))",
    "[a](data:text/html,<script>alert(1)</script>)",
    "[a](DATA : text/html;base64,PHNjcmlwdD4=)",
    "[a]: javascript:alert(1)\n\n[a]",
])
def test_inert_markdown_breaks_script_links(link):
    out = clean.inert_markdown(link)
    low = re.sub(r"\s", "", out.lower())
    assert "javascript:" not in low and "vbscript:" not in low and "data:text" not in low
    assert "blocked-link:" in out
    rendered = markdown2html_mistune(out).lower()
    assert "href=\"javascript" not in rendered and "href=\"vbscript" not in rendered
    assert "href=\"data:" not in rendered


@pytest.mark.parametrize("link", [
    "[a](java&#115;cript:alert(1))",
    "[a](javascript&colon;alert(1))",
    "[a](&#106;avascript:alert(1))",
])
def test_inert_markdown_breaks_entity_encoded_script_links(link):
    # Markdown renderers decode character references in link destinations: nbconvert (which
    # Formgrader uses) renders these as href="javascript:alert(1)"
    rendered = markdown2html_mistune(clean.inert_markdown(link)).lower()
    assert "javascript:" not in rendered


def test_inert_markdown_keeps_text_and_shows_links_as_written():
    src = ("# Title\n\nSome $a<b$ math & more, a [link](https://example.org) and "
           "![fig](attachment:fig.png)\n\n[ref]: https://example.org")
    out = clean.inert_markdown(src)
    assert out == src.replace("&", "&amp;").replace("<", "&lt;").replace("](", "]\\(") \
        .replace("]:", "]\\:")
    rendered = markdown2html_mistune(out)
    assert "<img" not in rendered and "[link](" in rendered and "![fig](" in rendered
    hrefs = re.findall(r'href="([^"]*)"', rendered)
    assert hrefs and all(h.startswith(("https://", "#")) for h in hrefs)  # bare URLs only


# ---------------------------------------------------------------------------------------------
# feedback.page

XSS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "</pre><script>alert(2)</script>",
    "<a href='javascript:alert(3)'>click</a>",
    "\"'><svg onload=alert(4)>",
    "<iframe src=//evil.example></iframe>",
    "<style>body{display:none}</style>",
    "<meta http-equiv=refresh content='0;url=//evil.example'>",
    "\u202eevil\u202c\x1b[31m\x07",
]
PAYLOAD = "\n".join(XSS)


def hostile_page(**overrides) -> str:
    fields = dict(
        student=PAYLOAD,
        assignment="01_numbers",
        notebook="numbers",
        score=3.0,
        max_score=10.0,
        status=PAYLOAD,
        summary=PAYLOAD,
        parts=[
            Part(PAYLOAD, 2.0, 0.0, "failed", [PAYLOAD]),
            Part("hidden_part", 3.0, 0.0, "failed", ["a hidden test failed: " + PAYLOAD]),
            Part("written", 5.0, None, "pending", []),
            Part("ok_part", 1.0, 1.0, "passed", ["ok " + PAYLOAD]),
        ],
        cells=[
            Cell("code", PAYLOAD, PAYLOAD, outputs=[
                {"output_type": "stream", "name": "stdout", "text": PAYLOAD},
                {"output_type": "error", "ename": PAYLOAD, "evalue": PAYLOAD,
                 "traceback": [PAYLOAD, PAYLOAD]},
                {"output_type": "execute_result", "data": {"text/plain": PAYLOAD}},
                {"output_type": "display_data", "data": {"text/html": PAYLOAD,
                                                         "text/plain": "plain-fallback"}},
                {"output_type": "display_data", "data": {"image/svg+xml": PAYLOAD,
                                                         "text/markdown": PAYLOAD,
                                                         "application/javascript": PAYLOAD}},
            ]),
            Cell("markdown", "markdown cell", PAYLOAD),
            Cell("raw", "raw cell", PAYLOAD),
            Cell("test", "test cell", PAYLOAD, verdict=[PAYLOAD]),
        ],
    )
    fields.update(overrides)
    return feedback.page(**fields)


def test_page_has_a_content_security_policy_before_any_student_text():
    page = hostile_page()
    meta = "<meta http-equiv='Content-Security-Policy' content=\""
    assert meta in page
    policy = page.split(meta, 1)[1].split('"', 1)[0]
    assert "default-src 'none'" in policy
    assert "img-src data:" in policy and "form-action 'none'" in policy
    assert "script-src" not in policy  # scripts fall under default-src 'none'
    assert page.index(meta) < page.index("<title>")
    assert page.count("Content-Security-Policy") == 1


@pytest.mark.parametrize("needle", [
    "<script", "<img src=x", "</pre><script", "<svg", "<iframe", "<a href", "<style>body",
    "<meta http-equiv=refresh", "\u202e", "\u202c", "\x1b", "\x07",
])
def test_student_text_never_appears_unescaped(needle):
    page = hostile_page()
    assert needle.lower() not in page.lower()


class Tags(HTMLParser):
    """Every start tag of a page with its attributes (what a browser would act on)."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.feed(page)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def test_no_student_markup_reaches_a_tag_or_attribute():
    page = hostile_page()
    tags = Tags(page).tags
    names = {tag for tag, _ in tags}
    assert names <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p",
                     "strong", "table", "tr", "th", "td", "span", "pre", "div", "code"}
    for tag, attrs in tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert "href" not in attrs and "src" not in attrs, (tag, attrs)
        if tag == "meta":
            assert set(attrs) in ({"charset"}, {"http-equiv", "content"}, {"name", "content"})
            assert attrs.get("http-equiv", "Content-Security-Policy") == "Content-Security-Policy"
    # the hostile text is all there, as text
    assert "onerror=alert(1)" in html.unescape(page)


def test_student_text_is_shown_escaped():
    page = hostile_page()
    assert html.escape("<script>alert(1)</script>", quote=True) in page
    assert html.escape("</pre><script>alert(2)</script>", quote=True) in page
    # the student's name, status and summary all arrive (escaped) once
    assert page.count(html.escape("<img src=x onerror=alert(1)>", quote=True)) >= 5


def test_html_and_script_outputs_are_never_rendered():
    page = hostile_page()
    assert "plain-fallback" in page
    assert "text/html" not in page and "svg+xml" not in page


def test_images_only_as_base64_data_uris():
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + bytes(range(256))).decode()
    wrapped = "\n".join(png[i:i + 76] for i in range(0, len(png), 76))
    bad = [
        "AAAA' onerror='alert(1)",
        "AAAA\"><script>alert(1)</script>",
        "javascript:alert(1)",
        "",
        "AA AA<",
    ]
    outputs = [{"output_type": "display_data", "data": {"image/png": wrapped,
                                                        "text/plain": "<Figure 1>"}},
               {"output_type": "display_data", "data": {"image/jpeg": png}}]
    outputs += [{"output_type": "display_data", "data": {"image/png": b,
                                                         "text/plain": f"fallback {i}"}}
                for i, b in enumerate(bad)]
    outputs.append({"output_type": "display_data", "data": {"image/png": ["AAAA"]}})
    page = hostile_page(cells=[Cell("code", "plot", "plt.plot()", outputs=outputs)])
    srcs = re.findall(r"src='([^']*)'", page)
    assert srcs == [f"data:image/png;base64,{png}", f"data:image/jpeg;base64,{png}"]
    assert "&lt;Figure 1&gt;" not in page  # the image is shown, not its text form
    for i in range(len(bad)):
        assert f"fallback {i}" in page
    assert "<script" not in page
    imgs = [attrs for tag, attrs in Tags(page).tags if tag == "img"]
    assert len(imgs) == 2 and all(set(a) == {"alt", "src"} for a in imgs)


def test_hidden_outputs_show_the_note_and_no_outputs():
    cell = Cell("code", "after hidden tests", "print(secret)", outputs=[
        {"output_type": "stream", "name": "stdout", "text": "SECRET-INPUT-42"},
        {"output_type": "execute_result", "data": {"text/plain": "SECRET-RESULT-43"}},
        {"output_type": "error", "ename": "ValueError", "evalue": "SECRET-ERROR-44",
         "traceback": []},
    ], outputs_hidden=True)
    page = hostile_page(cells=[cell])
    assert "outputs not shown" in page
    assert "print(secret)" in page  # the source is still shown
    assert "SECRET-" not in page


def test_visible_outputs_are_shown():
    cell = Cell("code", "answer", "print(1)", outputs=[
        {"output_type": "stream", "name": "stdout", "text": "visible-out"},
        {"output_type": "error", "ename": "KeyError", "evalue": "'w'",
         "traceback": ["\x1b[31mTraceback line\x1b[0m"]},
    ])
    page = hostile_page(cells=[cell])
    assert "visible-out" in page and "outputs not shown" not in page
    assert "KeyError: &#x27;w&#x27;" in page and "Traceback line" in page


def test_parts_render_with_their_verdicts():
    parts = [
        Part("derivative", 2.0, 2.0, "passed", ["ok derivative: expected 1.0, received 1.0"]),
        Part("hidden_grad", 3.0, 0.0, "failed", ["a hidden test failed: gradient of tanh"]),
        Part("essay", 4.0, None, "pending"),
        Part("by_hand", 1.5, None, "manual"),
        Part("graded_essay", 2.0, 1.5, "manual", ["clear, but no example"]),
    ]
    page = hostile_page(parts=parts, cells=[], pending=5.5, student="alice", summary="3 of 4")
    assert "<td>derivative</td><td>2 / 2</td><td><span class='pass'>passed</span>" in page
    assert "<td>hidden_grad</td><td>0 / 3</td><td><span class='fail'>failed</span>" in page
    assert "a hidden test failed: gradient of tanh" in page
    assert ("<td>essay</td><td>– / 4</td><td><span class='pending'>pending: graded by hand"
            "</span>") in page
    assert "<td>by_hand</td><td>– / 1.5</td>" in page
    assert ("<td>graded_essay</td><td>1.5 / 2</td><td><span class='pass'>graded by hand</span>"
            "<pre>clear, but no example</pre>") in page
    assert "5.5 pending (written answers, graded by hand)" in page
    assert "Your notebook, as graded" not in page


def test_page_without_parts_or_cells():
    page = hostile_page(parts=[], cells=[], student="bob", summary="nothing", status="missing")
    assert "<h2>Parts</h2>" not in page and "Your notebook" not in page
    assert "01_numbers: numbers (bob)" in page
    assert page.rstrip().endswith("</html>")


def test_markdown_is_shown_as_written_not_rendered():
    page = hostile_page(cells=[Cell("markdown", "notes", "# Heading\n\n**bold** [l](https://x)")])
    assert "# Heading" in page and "**bold**" in page
    assert "<h1>Heading" not in page and "<strong>bold" not in page


def test_huge_outputs_are_capped():
    cell = Cell("code", "flood", "print('x' * 10**6)", outputs=[
        {"output_type": "stream", "name": "stdout", "text": "y" * 1_000_000}])
    page = hostile_page(cells=[cell])
    assert page.count("y") < 200_000


# ---------------------------------------------------------------------------------------------
# the Validate dialog


def test_dialog_error_report_is_a_failure():
    reply = dialog_reply({"error": "numbers.ipynb is not valid JSON (line 3)", "parts": []})
    assert reply["success"] is False
    assert "numbers.ipynb is not valid JSON (line 3)" in reply["value"]


def test_dialog_all_passed_or_written_is_success():
    report = {"ok": True, "error": None, "parts": [
        {"name": "a", "points": 1.0, "status": "PASS", "message": ""},
        {"name": "b", "points": 2.0, "status": "WRITTEN", "message": "graded by hand"},
    ]}
    assert dialog_reply(report) == {"success": True, "value": {}}


def test_dialog_with_nothing_checked_is_not_success():
    reply = dialog_reply({"ok": False, "error": None, "parts": []})
    assert reply["success"] is False and "no test cell" in reply["value"]


def test_dialog_lists_failed_and_todo_parts_escaped():
    report = {"ok": False, "error": None, "parts": [
        {"name": "a", "points": 1.0, "status": "PASS", "message": ""},
        {"name": "b", "points": 2.5, "status": "FAIL",
         "message": "f(1): expected 1, received <img src=x onerror=alert(1)> & \"q\""},
        {"name": "c", "points": 3.0, "status": "TODO", "message": "not answered yet"},
        {"name": "d", "points": 1.0, "status": "WRITTEN", "message": "graded by hand"},
        {"name": "e", "points": 1.0, "status": "FAIL", "message": None},
    ]}
    reply = dialog_reply(report)
    assert reply["success"] is True
    failed = reply["value"]["failed"]
    assert [f["source"] for f in failed] == ["FAIL: b (2.5 points)", "TODO: c (3 points)",
                                            "FAIL: e (1 point)"]
    assert failed[0]["error"] == ("f(1): expected 1, received &lt;img src=x onerror=alert(1)&gt;"
                                  " &amp; &quot;q&quot;")
    assert "<" not in failed[0]["error"]
    assert failed[1]["error"] == "not answered yet"
    assert failed[2]["error"] == ""
