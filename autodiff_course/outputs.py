"""What one execution printed and displayed, capped while it arrives.

The grader keeps, per cell, at most :data:`MAX_OUTPUT_CHARS` characters and
:data:`MAX_OUTPUTS` outputs, and only output types that cannot run script where they are shown:
plain text, PNG and JPEG images (valid base64, at most :data:`MAX_IMAGE_BYTES`), and errors with
their texts capped. What is cut is replaced by one note.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

MAX_OUTPUT_CHARS = 100_000
MAX_OUTPUTS = 200
MAX_IMAGE_BYTES = 2 * 1024 * 1024
KEPT_MIMETYPES = ("text/plain", "image/png", "image/jpeg")
TRUNCATION_NOTE = "\n[autodiff-course: output cut after {limit:,} characters]\n"


class Outputs:
    """Outputs of one execution, capped while they arrive."""

    def __init__(self, collect: bool):
        self.collect = collect
        self.items: list[dict] = []
        self.chars = 0
        self.truncated = False

    def _room(self, size: int) -> bool:
        if self.truncated:
            return False
        if self.chars + size > MAX_OUTPUT_CHARS or len(self.items) >= MAX_OUTPUTS:
            self.truncated = True
            self.items.append({"output_type": "stream", "name": "stdout",
                               "text": TRUNCATION_NOTE.format(limit=MAX_OUTPUT_CHARS)})
            return False
        self.chars += size
        return True

    def stream(self, name: Any, text: Any) -> None:
        if not self.collect or type(text) is not str:
            return
        name = "stderr" if name == "stderr" else "stdout"
        if self.items and self.items[-1].get("output_type") == "stream" \
                and self.items[-1]["name"] == name and not self.truncated:
            if self._room_for_append(text):
                self.items[-1]["text"] += text
            return
        room = MAX_OUTPUT_CHARS - self.chars
        if len(text) > room and not self.truncated and room > 0:
            self.chars = MAX_OUTPUT_CHARS
            self.items.append({"output_type": "stream", "name": name, "text": text[:room]})
            self._room(1)
            return
        if self._room(len(text)):
            self.items.append({"output_type": "stream", "name": name, "text": text})

    def _room_for_append(self, text: str) -> bool:
        if self.chars + len(text) > MAX_OUTPUT_CHARS:
            cut = max(0, MAX_OUTPUT_CHARS - self.chars)
            self.items[-1]["text"] += text[:cut]
            self.chars = MAX_OUTPUT_CHARS
            self._room(1)
            return False
        self.chars += len(text)
        return True

    def display(self, kind: str, content: dict) -> None:
        data = content.get("data")
        if not self.collect or not isinstance(data, dict):
            return
        kept = {}
        for mime in KEPT_MIMETYPES:
            value = data.get(mime)
            if type(value) is not str:
                continue
            if mime.startswith("image/"):
                if len(value) > MAX_IMAGE_BYTES * 4 // 3 + 4 or not _is_base64(value):
                    continue
            kept[mime] = value
        if not kept:
            return
        size = sum(len(v) if not k.startswith("image/") else 1000 for k, v in kept.items())
        if not self._room(size):
            return
        output = {"output_type": kind, "data": kept, "metadata": {}}
        if kind == "execute_result":
            count = content.get("execution_count")
            output["execution_count"] = count if type(count) is int else None
        self.items.append(output)

    def error(self, content: dict) -> dict:
        error = {
            "output_type": "error",
            "ename": capped(content.get("ename"), 200) or "Error",
            "evalue": capped(content.get("evalue"), 5000),
            "traceback": [capped(line, 5000) for line in (content.get("traceback") or [])[:50]
                          if type(line) is str],
        }
        if self.collect:
            self.items.append(error)
        return error

    def clear(self) -> None:
        if self.collect:
            self.items = []


def _is_base64(text: str) -> bool:
    try:
        base64.b64decode(text.replace("\n", ""), validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def capped(value: Any, limit: int) -> str:
    """``value`` if it is a string, cut to ``limit`` characters; otherwise empty."""
    if type(value) is not str:
        return ""
    return value if len(value) <= limit else value[: limit - 1] + "…"
