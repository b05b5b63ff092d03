"""Template values filled into the string literals of a JSON body are JSON-escaped: a CSV value with quotes,
backslashes or a line break still makes valid JSON, while a field outside a string (a number) stays raw."""

from __future__ import annotations

import json

import pytest

from senior_backend.loadtest.templates import build_variation, fields, parse_template, quote_json_strings
from tests.loadtest.conftest import load_tester
from tests.loadtest.recording import recording_server  # noqa: F401 (a fixture)

VALUES = ['say "hi"', "back\\slash", "two\nlines", "plain"]


def _csv(tmp_path):
    path = tmp_path / "q.csv"
    rows = "".join('"' + v.replace('"', '""') + '"\n' for v in VALUES)
    path.write_text("v\n" + rows)
    return path


@pytest.mark.quick
def test_only_fields_inside_json_strings_are_marked():
    body = parse_template('{"a": "x {{seq}} \\" {{uuid}}", "n": {{seq}}}', "--body")
    assert [f.quoted for f in fields(quote_json_strings(body))] == [True, True, False]
    not_json = parse_template('name="{{seq}}"&x=1', "--body")
    assert [f.quoted for f in fields(quote_json_strings(not_json))] == [False]


@pytest.mark.slow
def test_a_csv_value_with_quotes_is_sent_as_valid_json(recording_server, tmp_path):  # noqa: F811
    server = recording_server()
    csv_path = _csv(tmp_path)
    body = '{"a": "{{csv:' + str(csv_path) + ':v}}", "n": {{seq}}}'
    done = load_tester(server.base_url + "/q", "-m", "POST", "--body", body, "-n", "8", "-c", "1", "-w", "1")
    assert done.returncode == 0, done.stderr
    received = server.received()
    assert len(received) == 8
    sent = [json.loads(r["body"]) for r in received]  # every body is JSON
    assert sorted(d["n"] for d in sent) == list(range(1, 9))
    assert {d["a"] for d in sent} == set(VALUES)
    assert all(d["a"] == VALUES[(d["n"] - 1) % len(VALUES)] for d in sent)


@pytest.mark.quick
def test_a_jsonl_body_is_checked_once_filled_in_and_escaped(tmp_path):
    csv_path = _csv(tmp_path)
    body = '{"a": "{{csv:' + str(csv_path) + ':v}}"}'
    variation = build_variation(None, (), (body.encode(),), "b.jsonl")
    assert variation is not None and [f.quoted for f in fields(variation.bodies[0])] == [True]
