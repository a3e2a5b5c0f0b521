"""Errors in the browser console fail a test, except the known harmless ones listed here.

A JavaScript dialog (``alert``, ``confirm``, ``prompt``) counts as an error too: nothing in
JupyterLab or the course opens one, but script injected through a message would (the suite's
escaping test uses ``alert``). It is dismissed, as Playwright does with unhandled dialogs.

Each entry is a pattern matched against the console message and the reason it is harmless; the
same list, with the reasons, is in docs/browser-tests.md. Keep it short: a new entry needs a
reason a reviewer can check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from playwright.sync_api import ConsoleMessage, Dialog, Page

KNOWN_HARMLESS: list[tuple[re.Pattern[str], str]] = []


@dataclass
class ConsoleLog:
    """Console errors and uncaught page exceptions of one page, sorted into harmless and not."""

    errors: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)

    def attach(self, page: Page) -> ConsoleLog:
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self._record(f"uncaught exception: {error}"))
        page.on("dialog", self._on_dialog)
        return self

    def _on_dialog(self, dialog: Dialog) -> None:
        # beforeunload is the browser asking whether to leave a page: not script output.
        if dialog.type != "beforeunload":
            self._record(f"JavaScript {dialog.type}() dialog: {dialog.message!r}")
        dialog.dismiss()  # what Playwright does with a dialog nobody listens for

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            location = message.location or {}
            where = location.get("url", "")
            self._record(f"{message.text}" + (f" (at {where})" if where else ""))

    def _record(self, text: str) -> None:
        if any(pattern.search(text) for pattern, _ in KNOWN_HARMLESS):
            self.ignored.append(text)
        else:
            self.errors.append(text)

    def assert_clean(self) -> None:
        if self.errors:
            listing = "\n".join(f"  - {e}" for e in self.errors)
            raise AssertionError(
                f"{len(self.errors)} error(s) in the browser console:\n{listing}\n"
                "(known harmless messages are listed in tests/browser/page_console.py)"
            )
