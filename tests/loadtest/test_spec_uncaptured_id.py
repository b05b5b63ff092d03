"""A `--spec` create whose 2xx responses carry no usable id cannot feed the operations that need one (each of
their turns runs the create instead): the run says so, naming the create and what was looked for."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.loadtest.conftest import load_tester_json
from tests.loadtest.recording import recording_server  # noqa: F401 (a fixture)

SPEC = str(Path(__file__).parent / "specs" / "things.yaml")

pytestmark = pytest.mark.slow


def test_a_create_answering_without_an_id_is_named(recording_server):  # noqa: F811
    server = recording_server()  # answers {"ok": true} to everything: a 201-less create with no id
    document = load_tester_json(
        "--spec",
        SPEC,
        "--base-url",
        server.base_url,
        "--operation",
        "getThing",
        "-d",
        "0.5",
        "-c",
        "2",
        "-w",
        "1",
    )
    paths = {(r["method"], r["path"].split("?")[0]) for r in server.received()}
    assert paths == {("POST", "/things")}, "getThing never ran: every turn became a create"
    advice = [a for a in document["runs"][0]["recommendations"] if a["rule"] == "no-created-id"]
    assert len(advice) == 1
    message = advice[0]["message"]
    assert message.startswith("createThing (POST /things): ") and "carried no usable id" in message
    assert "looked for the id parameter's name, `id`" in message and "ran createThing instead" in message
    operations = document["runs"][0]["results"]["operations"]
    assert operations["createThing"]["uncaptured"] == advice[0]["evidence"]["uncaptured"] > 0
