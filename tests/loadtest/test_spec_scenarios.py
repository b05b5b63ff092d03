"""`--spec`: every operation of an OpenAPI document against a real CRUD server that checks what it gets.

The server (`crud_server.py`) routes by itself, counts calls per operation,
validates each body with an OpenAPI validator of its own (`readOnly` may not be
sent), answers 400 to anything the spec does not allow and 404 to an id it
never created or already deleted; both must stay at zero.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from openapi_schema_validator import OAS30WriteValidator

from tests.conftest import REPO, run_script
from tests.loadtest.conftest import json_document, load_tester, saved_document
from tests.loadtest.crud import (
    BARE,
    WITH_EXAMPLES,
    Crud,
    assert_clean,
    spec_operations,
    start_crud,
)


@pytest.fixture(scope="module")
def crud() -> Iterator[Crud]:
    """The CRUD server checking requests against things.yaml (OpenAPI 3.0, examples, links)."""
    yield from start_crud(WITH_EXAMPLES)


@pytest.fixture(scope="module")
def bare_crud() -> Iterator[Crud]:
    """The CRUD server checking requests against things_bare.yaml (OpenAPI 3.1, no examples, no links)."""
    yield from start_crud(BARE)


def _run(server: Crud, *args: str) -> tuple[dict, str]:
    server.reset()
    done = load_tester(*args, "--json")
    assert done.returncode == 0, done.stderr + done.stdout
    return json_document(done.stdout), done.stderr


def test_spec_runs_every_operation_with_created_ids_and_counts_match_the_server(
    crud: Crud, tmp_path: Path
) -> None:
    saved, report = tmp_path / "run.json", tmp_path / "report.html"
    document, _ = _run(
        crud, "--spec", str(WITH_EXAMPLES), "--base-url", crud.base_url, "-c", "6", "-w", "2", "-n", "900",
        "--save", str(saved), "--report", str(report),
    )  # fmt: skip
    stats = crud.stats()
    assert_clean(stats)
    operations = spec_operations(document)
    everything = {"getHealth", "listThings", "createThing", "getThing", "updateThing", "deleteThing"}
    everything |= {"addNote", "getNote", "deleteNote"}
    assert set(operations) == everything
    # a request budget waits for every response: the server's own count per operation is the report's
    assert {name: row["requests"] + row["errors"] for name, row in operations.items()} == stats["calls"]
    assert sum(stats["calls"].values()) == 900 == document["runs"][0]["summary"]["requests"]
    for name, row in operations.items():
        assert row["requests"] > 0 and row["non_2xx"] == 0, (name, row)
        assert row["p50_ms"] <= row["p95_ms"] <= row["p99_ms"]
    assert set(operations["deleteThing"]["statuses"]) == {"204"}  # never a thing whose notes still live (409)
    # the spec's examples are valid, so they are what was sent, with the strings that may vary made unique
    # per request (a tag that breaks the pattern of `tags` is not added); the server validated every body
    created = stats["bodies"]["createThing"]
    assert created[0] == {"name": created[0]["name"], "price": 24.5, "tags": ["kitchen"], "description": None}
    names = [body["name"] for body in created]
    assert all(name.startswith("Blue kettle-") for name in names) and len(set(names)) == len(names)
    assert {**stats["bodies"]["updateThing"][0], "name": "Blue kettle"} == {
        "name": "Blue kettle",
        "price": 19.99,
    }
    # the Idempotency-Key header too: one per create, none sent twice
    assert stats["idempotency_keys"] == stats["calls"]["createThing"] and stats["replayed"] == 0
    spec = yaml.safe_load(WITH_EXAMPLES.read_text())
    schemas = {"createThing": "ThingInput", "updateThing": "ThingInput", "addNote": "NoteInput"}
    for operation, name in schemas.items():
        validator = OAS30WriteValidator(
            {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
        )
        for body in stats["bodies"][operation]:
            assert list(validator.iter_errors(body)) == [], (operation, body)
    assert saved_document(saved)["operations"]["getNote"]["requests"] == operations["getNote"]["requests"]
    again = load_tester(str(saved), "--json")  # a saved run re-reports its operations
    assert again.returncode == 0 and spec_operations(json_document(again.stdout)) == operations
    html = report.read_text()
    assert "<h3>Operations</h3>" in html and "DELETE /things/{thingId}/notes/{noteId}" in html


def test_spec_without_examples_synthesizes_valid_requests_uses_servers_and_weights(
    bare_crud: Crud, tmp_path: Path
) -> None:
    spec = yaml.safe_load(BARE.read_text())
    spec["servers"][0]["variables"]["port"]["default"] = str(bare_crud.running.port)
    here = tmp_path / "bare.yaml"
    here.write_text(yaml.safe_dump(spec))
    document, _ = _run(
        bare_crud, "--spec", str(here), "-c", "4", "-w", "2", "-d", "3",
        "--weight", "listThings=4", "--weight", "getHealth=2",
    )  # fmt: skip
    stats = bare_crud.stats()
    assert_clean(stats)
    operations = spec_operations(document)
    assert set(operations) == {
        "getHealth",
        "listThings",
        "createThing",
        "getThing",
        "updateThing",
        "deleteThing",
    }
    for name, row in operations.items():
        assert row["requests"] > 50 and row["non_2xx"] == 0 and row["errors"] == 0, (name, row)
        # a duration ends with requests in flight: the server saw those too, at most one per connection
        assert 0 <= stats["calls"][name] - row["requests"] <= 4, (name, row, stats["calls"])
    ratio = operations["listThings"]["requests"] / operations["getHealth"]["requests"]
    assert ratio == pytest.approx(2.0, rel=0.05)
    ratio = operations["getHealth"]["requests"] / operations["getThing"]["requests"]
    assert ratio == pytest.approx(2.0, rel=0.05)
    # the schema requires the readOnly id: a request body leaves it out (the server refuses one that has it)
    created = stats["bodies"]["createThing"]
    assert all(set(body) == {"name", "price", "description"} and body["price"] > 0 for body in created)
    assert len({body["name"] for body in created}) == len(created)
    assert document["runs"][0]["results"]["plan"]["scenario"]["operations"][1] == {
        "name": "listThings", "method": "GET", "path": "/things", "weight": 4.0
    }  # fmt: skip


def test_operation_and_tag_filters_run_only_those_and_the_creates_they_need(crud: Crud) -> None:
    document, _ = _run(
        crud, "--spec", str(WITH_EXAMPLES), "--base-url", crud.base_url,
        "--operation", "getThing", "--tag", "meta", "-c", "2", "-w", "1", "-n", "300",
    )  # fmt: skip
    stats = crud.stats()
    assert_clean(stats)
    operations = {name: row for name, row in spec_operations(document).items() if row["requests"]}
    assert set(operations) == set(stats["calls"]) == {"getThing", "getHealth", "createThing"}
    assert operations["createThing"]["requests"] <= 2  # only to have an id to get: one per connection at most
    assert abs(operations["getThing"]["requests"] - operations["getHealth"]["requests"]) <= 2

    document, _ = _run(
        crud,
        "--spec",
        str(WITH_EXAMPLES),
        "--base-url",
        crud.base_url,
        "--tag",
        "notes",
        "-c",
        "3",
        "-n",
        "300",
    )
    stats = crud.stats()
    assert_clean(stats)
    ran = {name for name, row in spec_operations(document).items() if row["requests"]}
    assert ran == set(stats["calls"]) == {"addNote", "getNote", "deleteNote", "createThing"}


def test_a_delete_no_create_feeds_is_never_sent(bare_crud: Crud, tmp_path: Path) -> None:
    spec = yaml.safe_load(BARE.read_text())
    del spec["paths"]["/things"]["post"]
    here = tmp_path / "no-create.yaml"
    here.write_text(yaml.safe_dump(spec))
    document, stderr = _run(
        bare_crud, "--spec", str(here), "--base-url", bare_crud.base_url, "-n", "60", "-c", "2"
    )
    assert "note: deleteThing skipped: deletes run only on resources the scenario created" in stderr
    stats = bare_crud.stats()
    assert "deleteThing" not in stats["calls"] and "deleteThing" not in spec_operations(document)
    assert stats["calls"]["getHealth"] > 0
    done = load_tester("--spec", str(here), "--base-url", bare_crud.base_url, "--operation", "deleteThing")
    assert done.returncode == 2 and "no operation of the spec is left to run" in done.stderr


@pytest.mark.parametrize(
    ("change", "args", "message"),
    [
        (
            "broken-ref",
            ["--base-url", "http://127.0.0.1:9"],
            "$ref '#/components/schemas/Nope' does not resolve",
        ),
        ("none", [], "names no absolute server URL: give --base-url"),
        ("none", ["--base-url", "http://127.0.0.1:9", "--operation", "nope"], "has no operation 'nope'"),
        ("none", ["--base-url", "http://127.0.0.1:9", "--tag", "nope"], "has no tag 'nope'"),
        ("none", ["--base-url", "http://127.0.0.1:9", "--weight", "getThing"], "invalid --weight 'getThing'"),
        ("none", ["http://127.0.0.1:9/"], "--spec takes no URL"),
        ("none", ["--base-url", "http://127.0.0.1:9", "-H", "X-Id: {{uuid}}"], "do not combine with --spec"),
    ],
)
def test_bad_spec_or_options_is_one_line_and_exit_2(
    change: str, args: list[str], message: str, tmp_path: Path
) -> None:
    spec = WITH_EXAMPLES
    if change == "broken-ref":
        spec = tmp_path / "broken.yaml"
        spec.write_text(WITH_EXAMPLES.read_text().replace("schemas/NoteInput", "schemas/Nope"))
    done = load_tester("--spec", str(spec), *args)
    assert done.returncode == 2, done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ") and message in done.stderr
    assert done.stdout == ""


@pytest.mark.node
@pytest.mark.slow
def test_the_scaffolded_server_of_the_example_spec_accepts_every_generated_request(node_project, tmp_path):
    """The example spec, scaffolded to Express (which validates every request against the spec), driven by
    `--spec`: every operation answers 2xx, none 400, and the ids carried between them are the server's."""
    out = tmp_path / "express"
    done = run_script(
        "api_scaffolder",
        str(REPO / "examples" / "openapi.yaml"),
        "--framework",
        "express",
        "--output",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    with node_project.boot(out / "server.ts", ready_path="/users") as server:
        done = load_tester(
            "--spec", str(REPO / "examples" / "openapi.yaml"), "--base-url", f"http://127.0.0.1:{server.port}",
            "-c", "4", "-n", "600", "--json",
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    operations = spec_operations(json_document(done.stdout))
    assert set(operations) == {
        "listUsers",
        "createUser",
        "getUser",
        "updateUser",
        "deleteUser",
        "createOrder",
    }
    for name, row in operations.items():
        assert row["requests"] >= 80 and set(row["statuses"]) <= {"200", "201", "204"}, (name, row)
