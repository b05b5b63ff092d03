"""The open model's pacer never sends early (so no latency is negative), and the HTML report of a rate run,
opened in a real headless Chromium, names the rate model and shows every latency series."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import time
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from senior_backend.loadtest.engine import NS, run_worker
from senior_backend.loadtest.plan import LoadPlan, parse_target, resolve
from senior_backend.loadtest.results import Results, Second, save_results
from tests.loadtest.conftest import load_tester, load_tester_json, summary
from tests.loadtest.recording import recording_server  # noqa: F401 (a fixture)

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or "/usr/bin/chromium"
SERIES_COLORS = {"max": (0xF5, 0x9E, 0x0B), "p99": (0xDC, 0x26, 0x26), "p50": (0x25, 0x63, 0xEB)}


def test_no_request_leaves_before_its_intended_time(recording_server):  # noqa: F811
    server = recording_server()
    rate, connections = 400.0, 8
    plan = LoadPlan(
        resolve(parse_target(server.base_url + "/paced")), concurrency=connections, rate=rate, duration=1.5
    )
    start = time.monotonic_ns() + NS // 5

    results = run_worker(plan, start)

    arrivals = sorted(request["at"] for request in server.received())
    assert 550 <= len(arrivals) <= 600
    interval = int(connections * NS / rate)
    schedule = sorted(
        start + int(i / rate * NS) + j * interval for i in range(connections) for j in range(len(arrivals))
    )
    # the n-th request to arrive cannot be due later than it arrived: else one left before its time
    early = [(due - at) / 1e6 for at, due in zip(arrivals, schedule, strict=False) if at < due]
    assert early == [], (
        f"{len(early)} requests arrived before their intended send time, by up to {max(early)} ms"
    )
    assert results.latency.total > 500 and results.latency.min >= 0
    assert all(entry.latency.min >= 0 for entry in results.series)


def test_every_latency_of_a_multi_worker_rate_run_is_at_least_zero(recording_server):  # noqa: F811
    server = recording_server()
    document = load_tester_json(server.base_url + "/rate", "--rate", "300", "-d", "1.5", "-w", "2")
    s = summary(document)
    assert s["requests"] > 400 and s["latency_ms"]["min"] >= 0
    assert document["runs"][0]["results"]["latency"]["min"] >= 0
    assert all(row["p50_ms"] >= 0 for row in document["runs"][0]["series"])


class _Elements(HTMLParser):
    """Every element in document order: tag, attributes, the chart it is in (or whose legend it is in), and
    all the text inside it."""

    VOID = frozenset({"meta", "br", "img", "input", "link", "hr"})

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[dict] = []
        self.open: list[dict] = []
        self.chart: str | None = None
        self.last_chart: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "svg":
            self.chart = self.last_chart = attributes.get("aria-label")
        element = {"tag": tag, "attrs": attributes, "chart": self.chart or self.last_chart, "text": ""}
        self.elements.append(element)
        if tag not in self.VOID:
            self.open.append(element)

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            if self.open.pop()["tag"] == tag:
                break
        if tag == "svg":
            self.chart = None
        elif tag == "div" and self.chart is None:  # the end of a chart's legend
            self.last_chart = None

    def handle_data(self, data: str) -> None:
        for element in self.open:
            element["text"] += data


def _dom(page: Path) -> list[dict]:
    """The page as Chromium built it (`--dump-dom`)."""
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and "<svg" in done.stdout, done.stderr[-2000:]
    parser = _Elements()
    parser.feed(done.stdout)
    return parser.elements


def _screenshot(page: Path, png: Path, size: str) -> list[list[tuple[int, int, int]]]:
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            f"--window-size={size}",
            f"--screenshot={png}",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and png.exists(), done.stderr[-2000:]
    return _read_png(png.read_bytes())


def _read_png(data: bytes) -> list[list[tuple[int, int, int]]]:
    """Decode an 8-bit RGB or RGBA, non-interlaced PNG (what Chromium writes) into rows of RGB pixels."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    at, chunks, idat = 8, {}, b""
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind, body = data[at + 4 : at + 8], data[at + 8 : at + 8 + length]
        chunks[kind] = body
        if kind == b"IDAT":
            idat += body
        at += 12 + length
    width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert depth == 8 and color in (2, 6) and interlace == 0
    channels = 4 if color == 6 else 3
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, previous, at = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[at], bytearray(raw[at + 1 : at + 1 + stride])
        at += 1 + stride
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append([tuple(line[i : i + 3]) for i in range(0, stride, channels)])
        previous = line
    return rows


# what else the chart paints: page and plot background, grid, axes, text
CHART_NEUTRALS = ((0xFF, 0xFF, 0xFF), (0xFA, 0xFA, 0xFA), (0xEE, 0xEE, 0xEE), (0x55, 0x55, 0x55), (0, 0, 0))


def _pixels_of(rows: list[list[tuple[int, int, int]]], color: tuple[int, int, int]) -> int:
    """Pixels painted mostly by `color`: nearer to it than to any other series or neutral colour.

    A thin anti-aliased line that falls between two pixel rows (a p50 close to 0 lies on the x axis)
    has few pixels of its exact colour, but each of its pixels is still nearest to it.
    """
    palette = (*SERIES_COLORS.values(), *CHART_NEUTRALS)

    def nearest(pixel: tuple[int, int, int]) -> tuple[int, int, int]:
        return min(palette, key=lambda known: sum((a - b) ** 2 for a, b in zip(pixel, known, strict=True)))

    return sum(1 for row in rows for pixel in row if nearest(pixel) == color)


def _latency_chart_page(report: Path, into: Path) -> Path:
    """The report's "latency over time" chart alone on a page, so that only its lines can color pixels."""
    html = report.read_text()
    chart = re.search(r'<svg[^>]*aria-label="latency over time".*?</svg>', html, re.DOTALL)
    assert chart, "no latency-over-time chart"
    into.write_text(f'<!DOCTYPE html><html><body style="margin:0">{chart[0]}</body></html>')
    return into


def _assert_latency_series_drawn_right(elements: list[dict]) -> None:
    lines = [e for e in elements if e["tag"] == "polyline" and e["chart"] == "latency over time"]
    assert [line["attrs"]["data-series"] for line in lines] == ["max", "p99", "p50"], "widest first"
    widths = [float(line["attrs"]["stroke-width"]) for line in lines]
    assert widths == sorted(widths, reverse=True) and len(set(widths)) == 3
    strokes = {line["attrs"]["data-series"]: line["attrs"]["stroke"] for line in lines}
    assert len(set(strokes.values())) == 3
    legend = {
        e["attrs"]["data-series"]: e
        for e in elements
        if e["tag"] == "span" and e["chart"] == "latency over time" and "data-series" in e["attrs"]
    }
    assert set(legend) == {"max", "p99", "p50"}
    for name, span in legend.items():
        assert name in span["text"] and f"color:{strokes[name]}" in span["attrs"]["style"]


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is needed to check the report")
def test_rate_run_report_names_the_rate_model_and_shows_every_series(fault_server_factory, tmp_path):
    server = fault_server_factory("--stall-every", "1", "--stall-ms", "250")
    report = tmp_path / "report.html"
    done = load_tester(
        server.base_url + "/stalls", "--rate", "200", "-d", "2", "-w", "1", "--report", str(report)
    )
    assert done.returncode == 0, done.stderr

    elements = _dom(report)
    headline = next(e["text"] for e in elements if e["tag"] == "h2")
    assert headline.startswith("rate 200/s: ") and "c=10" not in headline
    model = next(e["text"] for e in elements if e["tag"] == "p" and "responses in" in e["text"])
    assert "open model at 200 req/s over 10 connections" in model and "concurrency" not in model
    minimum = next(e for e in elements if e["tag"] == "td")  # the first cell of the latency table is min
    assert float(minimum["text"]) >= 0
    _assert_latency_series_drawn_right(elements)

    rows = _screenshot(
        _latency_chart_page(report, tmp_path / "chart.html"), tmp_path / "chart.png", "700,300"
    )
    for name, color in SERIES_COLORS.items():
        assert _pixels_of(rows, color) > 100, f"the {name} line is not visible"


@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Chromium is needed to check the report")
def test_coinciding_p50_p99_and_max_lines_all_stay_visible(tmp_path):
    """Every second's responses took the same time, so p50 = p99 = max: each line lies on the others."""
    plan = LoadPlan(parse_target("http://127.0.0.1:9/same"), rate=100.0).describe()
    results = Results(plan, started_at="2026-01-01T00:00:00+00:00", elapsed=6.0)
    for second, ms in enumerate((5, 5, 40, 40, 5, 5)):
        entry = Second(second, requests=100, statuses={"200": 100})
        entry.latency.record(ms * 1000, 100)
        results.latency.record(ms * 1000, 100)
        results.series.append(entry)
    saved, report = tmp_path / "same.json", tmp_path / "same.html"
    save_results(saved, "run", [("saved", results)])
    done = load_tester(str(saved), "--report", str(report))
    assert done.returncode == 0, done.stderr

    _assert_latency_series_drawn_right(_dom(report))
    rows = _screenshot(
        _latency_chart_page(report, tmp_path / "chart.html"), tmp_path / "chart.png", "700,300"
    )
    for name, color in SERIES_COLORS.items():
        assert _pixels_of(rows, color) > 100, f"the {name} line is hidden under another"
