"""ipywidgets outputs of the lectures turned into static outputs for the course website.

A live widget needs a kernel, and its embedded form needs the ipywidgets HTML manager, a script
that myst-nb would load from a CDN: the site must work offline, so neither is used. The lectures
are saved with their widget state, which holds what the reader saw when the notebook was
executed: the controls' values and the outputs of the widget's Output area (text and figures).
This module rewrites every widget-view output into a short note naming the controls and their
values ("Interactive in JupyterLab; shown here at h = 1e-06"), followed by those saved outputs,
so the page shows the figure the widget drew. A widget without saved state keeps only its text
representation. The notebook's widget-state metadata is removed afterwards, which stops myst-nb
from adding the widget scripts.
"""

from __future__ import annotations

import html
import re
from typing import Any

import nbformat

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
MODEL_REF = "IPY_MODEL_"
TAG = re.compile(r"<[^>]*>")
CONTROLS_WITH_LABELS = ("Dropdown", "RadioButtons", "Select", "ToggleButtons", "SelectionSlider")


def _text_of(value: Any) -> str:
    """Plain text of an HTML widget's value (tqdm writes its counters there, entity-escaped)."""
    return html.unescape(TAG.sub("", str(value))).strip()


def _control_value(model_name: str, state: dict[str, Any]) -> str:
    if any(model_name.startswith(kind) for kind in CONTROLS_WITH_LABELS):
        labels = state.get("_options_labels") or []
        index = state.get("index")
        if isinstance(index, int) and 0 <= index < len(labels):
            return str(labels[index])
    return str(state.get("value"))


class _Walk:
    """Depth-first over one widget's model tree: its controls, texts and Output-area outputs."""

    def __init__(self, models: dict[str, Any]) -> None:
        self.models = models
        self.controls: list[str] = []
        self.texts: list[str] = []
        self.outputs: list[dict[str, Any]] = []

    def visit(self, model_id: str) -> bool:
        model = self.models.get(model_id)
        if model is None:
            return False
        name, state = model.get("model_name", ""), model.get("state", {})
        if name == "OutputModel":
            self.outputs.extend(state.get("outputs", []))
        elif name in ("HTMLModel", "LabelModel", "HTMLMathModel"):
            if text := _text_of(state.get("value", "")):
                self.texts.append(text)
        elif name in ("FloatProgressModel", "IntProgressModel"):
            low, high = state.get("min", 0), state.get("max", 100)
            share = (state.get("value", 0) - low) / (high - low) if high > low else 0.0
            self.texts.append("█" * round(10 * share) + "·" * (10 - round(10 * share)))
        elif ("value" in state or "index" in state) and state.get("description") is not None:
            # a selection widget saves its index and labels, not its value
            self.controls.append(f"{state['description'] or '(unnamed)'} = "
                                 f"{_control_value(name, state)}")
        for child in state.get("children", []):
            if isinstance(child, str) and child.startswith(MODEL_REF):
                self.visit(child[len(MODEL_REF):])
        return True


def _note(controls: list[str]) -> dict[str, Any]:
    where = html.escape(", ".join(controls))
    lead = ("Interactive in JupyterLab (open this notebook with {} to move its controls); "
            "shown here ")
    return nbformat.v4.new_output(
        "display_data",
        data={"text/html": '<p class="static-widget-note">'
                           + lead.format("<code>make lab</code>") + f"as saved, at {where}:</p>",
              "text/plain": lead.format("`make lab`") + f"as saved, at {', '.join(controls)}:"},
    )


def static_outputs(output: dict[str, Any], models: dict[str, Any]) -> list[dict[str, Any]]:
    """What replaces one output: itself when it shows no widget, else its static rendering."""
    data = output.get("data", {})
    view = data.get(WIDGET_VIEW)
    if view is None:
        return [output]
    walk = _Walk(models)
    if not walk.visit(view.get("model_id", "")):
        fallback = {k: v for k, v in data.items() if k != WIDGET_VIEW}
        return [nbformat.v4.new_output("display_data", data=fallback)] if fallback else []
    shown: list[dict[str, Any]] = []
    if walk.controls:
        shown.append(_note(walk.controls))
    if walk.texts:
        shown.append(nbformat.v4.new_output("stream", name="stdout",
                                            text=" ".join(walk.texts) + "\n"))
    shown.extend(nbformat.from_dict(o) for o in walk.outputs)
    return shown


def make_static(nb: nbformat.NotebookNode) -> int:
    """Rewrite every widget output of ``nb`` in place; return how many were rewritten."""
    models = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    rewritten = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        new: list[dict[str, Any]] = []
        for output in cell.get("outputs", []):
            replaced = static_outputs(output, models)
            rewritten += replaced != [output]
            new.extend(replaced)
        cell.outputs = new
    nb.metadata.pop("widgets", None)
    return rewritten
