"""Varied data for one URL: `--body @requests.jsonl` cycles through bodies, and `{{seq}}`, `{{uuid}}`,
`{{randint A B}}`, `{{csv:FILE:COLUMN}}` vary URL, headers and body; the server receives the varied values."""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from senior_backend.common.errors import BadInput
from senior_backend.loadtest.templates import Field, parse_template
from tests.conftest import run_script
from tests.loadtest.conftest import json_document, load_tester, summary
from tests.loadtest.recording import recording_server  # noqa: F401 (a fixture)

USERS = "id,name\n17,ann\n23,bob smith\n42,cho&co\n99,dee\n"


def load_tester_in(folder, *args: str):
    """Run the load tester from `folder`, where the request files are, as a user would."""
    return run_script("api_load_tester", *args, cwd=folder, timeout=60)


@pytest.mark.quick
def test_templates_parse_into_literals_and_fields():
    assert parse_template('{"id": {{seq}}, "n": {{ randint 1 1000 }}}', "--body") == (
        '{"id": ',
        Field("seq"),
        ', "n": ',
        Field("randint", 1, 1000),
        "}",
    )
    assert parse_template("/u/{{csv:data/ids.csv:id}}/{{uuid}}", "the URL") == (
        "/u/",
        Field("csv", file="data/ids.csv", column="id"),
        "/",
        Field("uuid"),
    )
    assert parse_template('{"a": {"b": 1}}', "--body") == ('{"a": {"b": 1}}',)


@pytest.mark.quick
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{nope}}", "unknown template {{nope}}"),
        ("{{seq", "without a closing"),
        ("{{randint 9 1}}", "9 > 1"),
        ("{{randint 1}}", "unknown template"),
        ("{{csv:only-a-file}}", "unknown template"),
    ],
)
def test_bad_templates_are_bad_input(text, message):
    with pytest.raises(BadInput, match=re.escape(message)):
        parse_template(text, "--body")


def test_the_server_receives_the_varied_values(recording_server, tmp_path):  # noqa: F811
    server = recording_server()
    (tmp_path / "users.csv").write_text(USERS)
    (tmp_path / "requests.jsonl").write_text(
        '{"kind": "a", "n": {{seq}}, "user": "{{csv:users.csv:name}}"}\n'
        "\n"
        '{"kind": "b", "n": {{seq}}, "pick": {{randint 1 1000}}}\n'
        '{"kind": "c", "n": {{seq}}, "id": "{{uuid}}"}\n'
    )
    url = (
        server.base_url
        + "/users/{{csv:users.csv:id}}/orders/{{seq}}?r={{randint 1 1000}}&who={{csv:users.csv:name}}"
    )
    done = load_tester_in(
        tmp_path,
        url,
        "-m",
        "POST",
        "--body",
        "@requests.jsonl",
        "-H",
        "X-Request-Id: {{uuid}}",
        "-H",
        "X-User: {{csv:users.csv:id}}",
        "-n",
        "60",
        "-c",
        "3",
        "-w",
        "2",
        "--json",
    )
    assert done.returncode == 0, done.stderr
    document = json_document(done.stdout)

    assert summary(document)["requests"] == 60 and summary(document)["statuses"] == {"200": 60}
    assert summary(document)["url"] == url
    assert document["runs"][0]["results"]["plan"]["varied"] == {
        "bodies": 3,
        "templates": ["csv", "randint", "seq", "uuid"],
    }
    received = server.received()
    assert len(received) == 60
    rows = dict(line.split(",") for line in USERS.splitlines()[1:])
    seqs, picks, kinds = [], [], Counter()
    for request in received:
        parts = urlsplit(request["path"])
        root, users, user_id, orders, seq = parts.path.split("/")
        assert (root, users, orders) == ("", "users", "orders")
        query = parse_qs(parts.query)
        body = json.loads(request["body"])
        seq = int(seq)
        seqs.append(seq)
        # one request, one row and one seq: URL, header and body agree
        assert user_id == request["headers"]["x-user"] and unquote(query["who"][0]) == rows[user_id]
        assert body["n"] == seq and body["kind"] == "abc"[(seq - 1) % 3]
        assert user_id == list(rows)[(seq - 1) % len(rows)]
        assert uuid.UUID(request["headers"]["x-request-id"]).version == 4
        picks.append(int(query["r"][0]))
        kinds[body["kind"]] += 1
        if body["kind"] == "a":
            assert body["user"] == rows[user_id]
        if body["kind"] == "c":
            assert body["id"] == request["headers"]["x-request-id"]
        assert int(request["headers"]["content-length"]) == len(request["body"].encode())
    assert sorted(seqs) == list(range(1, 61)), "seq is unique across the worker processes"
    assert kinds == {"a": 20, "b": 20, "c": 20}
    assert all(1 <= p <= 1000 for p in picks) and len(set(picks)) > 20
    assert len({r["headers"]["x-request-id"] for r in received}) == 60


def test_a_plain_body_file_is_one_body_and_templates_work_inline(recording_server, tmp_path):  # noqa: F811
    server = recording_server()
    (tmp_path / "body.json").write_text('{"whole": "file"}\n{"still": "one body"}\n')
    done = load_tester_in(
        tmp_path, server.base_url + "/plain", "-m", "POST", "--body", "@body.json", "-n", "3", "-c", "1"
    )
    assert done.returncode == 0, done.stderr
    assert {r["body"] for r in server.received()} == {'{"whole": "file"}\n{"still": "one body"}\n'}
    done = load_tester(
        server.base_url + "/inline", "-m", "PUT", "--body", "id={{seq}}", "-n", "4", "-c", "1", "-w", "1"
    )
    assert done.returncode == 0, done.stderr
    assert sorted(r["body"] for r in server.received()) == ["id=1", "id=2", "id=3", "id=4"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["http://127.0.0.1:1/x/{{nope}}"], "unknown template {{nope}} in the URL"),
        (["http://127.0.0.1:1/", "-H", "X-Id: {{seq"], "bad template in --header X-Id"),
        (["http://127.0.0.1:1/", "--body", "{{csv:missing.csv:id}}"], "cannot read missing.csv"),
        (["http://127.0.0.1:1/", "--body", "{{csv:users.csv:email}}"], "users.csv has no column 'email'"),
        (["http://127.0.0.1:1/", "--body", "@bad.jsonl"], "bad.jsonl line 2 is not JSON"),
        (["http://127.0.0.1:1/", "--body", "@missing.jsonl"], "cannot read --body file missing.jsonl"),
        (["http://{{seq}}.example/"], "template in the host"),
    ],
)
def test_bad_templates_and_missing_files_are_one_line_and_exit_2(tmp_path, args, message):
    (tmp_path / "users.csv").write_text(USERS)
    (tmp_path / "bad.jsonl").write_text('{"ok": 1}\n{"broken": \n')
    done = load_tester_in(tmp_path, *args, "-n", "1")
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith("error: ") and message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
