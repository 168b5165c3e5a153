"""Readable colours (WCAG 2.1 AA): every text/background pair declared in app/static/css reaches
4.5:1, and the deadline lights (graphics named in text beside them) 3:1 against the white page."""
from __future__ import annotations

import re

import pytest

from app.config import ROOT

CSS_FILES = sorted((ROOT / "app" / "static" / "css").glob("*.css"))
WHITE = "#ffffff"
RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
DECL = re.compile(r"([-\w]+)\s*:\s*([^;]+)")
HEX = re.compile(r"#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?\b")
# foreground property → the background property it is drawn on (same rule), else the rule's
# background-color, else the white page
PAIRS = {
    "color": "background-color",
    "--bs-btn-color": "--bs-btn-bg",
    "--bs-btn-hover-color": "--bs-btn-hover-bg",
    "--bs-btn-active-color": "--bs-btn-active-bg",
    "--bs-btn-disabled-color": "--bs-btn-disabled-bg",
    "--bs-navbar-color": None,
    "--bs-navbar-hover-color": None,
    "--bs-navbar-active-color": None,
    "--bs-navbar-brand-color": None,
}
NAVBAR_BG = ".navbar.bg-primary"


def luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    channels = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _rules() -> list[tuple[str, dict[str, str]]]:
    out = []
    for path in CSS_FILES:
        text = re.sub(r"/\*.*?\*/", "", path.read_text(encoding="utf-8"), flags=re.S)
        for selector, body in RULE.findall(text):
            decls = {}
            for prop, value in DECL.findall(body):
                found = HEX.search(value)
                if found:
                    decls[prop.strip()] = found.group(0)
            out.append((" ".join(selector.split()), decls))
    return out


def _pairs() -> list[tuple[str, str, str, float]]:
    """(where, foreground, background, required ratio) for each pair the stylesheets declare."""
    rules = _rules()
    navbar_bg = next((d.get("background-color") for s, d in rules if s == NAVBAR_BG), None)
    pairs = []
    for selector, decls in rules:
        if selector == ":root":  # theme colours serve as text on white and under white text
            pairs += [(f":root {p}", v, WHITE, 4.5) for p, v in decls.items()
                      if not p.startswith("--erflow-focus")]
            if "--erflow-focus" in decls:  # the focus outline is a graphic: 3:1
                pairs.append((":root --erflow-focus", decls["--erflow-focus"], WHITE, 3.0))
            continue
        if selector.startswith(".light-"):
            pairs.append((selector, decls["background-color"], WHITE, 3.0))
            continue
        for fg_prop, bg_prop in PAIRS.items():
            if fg_prop not in decls:
                continue
            if fg_prop.startswith("--bs-navbar"):
                background = navbar_bg
            else:
                background = decls.get(bg_prop) or decls.get("background-color") or WHITE
            pairs.append((f"{selector} {fg_prop}", decls[fg_prop], background, 4.5))
    return pairs


def test_the_stylesheets_declare_colour_pairs():
    names = {where for where, *_ in _pairs()}
    assert ".light-yellow" in names and ".btn-primary --bs-btn-color" in names
    assert ".navbar-dark --bs-navbar-color" in names and ".text-muted color" in names


@pytest.mark.parametrize("where, fg, bg, required", _pairs(), ids=lambda v: str(v))
def test_colour_pairs_reach_wcag_aa(where, fg, bg, required):
    assert bg, f"{where}: no background found (is {NAVBAR_BG} declared?)"
    ratio = contrast(fg, bg)
    assert ratio >= required, f"{where}: {fg} on {bg} is {ratio:.2f}:1, needs {required}:1"


def test_contrast_formula_matches_known_values():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#0d6efd", "#ffffff") == pytest.approx(4.5, abs=0.01)  # Bootstrap's blue
    assert contrast("#ffc107", "#ffffff") < 3  # Bootstrap's yellow: too pale as a light


def _chart_colours() -> list[tuple[str, str]]:
    from app.dashboard import palette

    return [(f"palette {k}", v) for k, v in palette.COLOURS.items()] + [
        ("palette BAR", palette.BAR), ("palette FALLBACK", palette.FALLBACK)]


@pytest.mark.parametrize("where, colour", _chart_colours(), ids=lambda v: str(v))
def test_chart_colours_reach_3_to_1_on_white(where, colour):
    """The dashboard's bars and legend swatches are graphics read against the white card."""
    ratio = contrast(colour, WHITE)
    assert ratio >= 3.0, f"{where}: {colour} on white is {ratio:.2f}:1, needs 3:1"


def test_chart_text_reaches_4_5_to_1_and_lights_match_the_css():
    from app.dashboard import palette

    assert contrast(palette.TEXT, WHITE) >= 4.5
    css = {s: d for s, d in _rules() if s.startswith(".light-")}
    for light in ("red", "yellow", "green", "none"):  # the same light reads the same everywhere
        assert palette.COLOURS[light] == css[f".light-{light}"]["background-color"], light
    assert contrast("#e0a800", WHITE) < 3 and contrast("#adb5bd", WHITE) < 3  # the old ones


def test_the_chart_template_draws_only_palette_colours():
    text = (ROOT / "app" / "dashboard" / "templates" / "dashboard" / "_charts.html").read_text(
        encoding="utf-8")
    assert not HEX.findall(text), "chart colours belong in app/dashboard/palette.py"
