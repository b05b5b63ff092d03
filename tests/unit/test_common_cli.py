"""Shared CLI behaviour: one-line errors, exit codes, --debug, JSON output, masked passwords."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap

import pytest

from senior_backend.common.masking import mask_password

pytestmark = pytest.mark.quick

PROGRAM = textwrap.dedent(
    """
    import click
    from senior_backend.common.cli import ExitCode, output_options, resolve_format, run_main
    from senior_backend.common.console import Output
    from senior_backend.common.errors import Refused, Unreachable
    from senior_backend.common.openapi import load_openapi

    @click.command()
    @click.argument("action")
    @output_options
    def cmd(action, output_format, json_flag, debug):
        out = Output(resolve_format(output_format, json_flag))
        if action == "spec":
            load_openapi("missing-dir/spec.yaml")
        if action == "refuse":
            raise Refused("unsafe", "would drop table users", hint="pass --allow-data-loss")
        if action == "unreachable":
            raise Unreachable("down", "cannot connect to db")
        if action == "crash":
            raise ValueError("boom")
        if action == "interrupt":
            raise KeyboardInterrupt
        out.log("progress goes to stderr")
        out.table("T", ["a", "b"], [[1, "x"]])
        out.json({"ok": True}) if out.is_json else out.line("done")
        return ExitCode.CHECK_FAILED if action == "check" else ExitCode.OK

    run_main(cmd)
    """
)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", PROGRAM, *args], capture_output=True, text=True, timeout=60)


def test_tool_error_is_one_line_with_its_exit_code():
    result = run("refuse")
    assert result.returncode == 3
    assert result.stderr.strip() == "error: would drop table users (hint: pass --allow-data-loss)"
    assert result.stdout == ""


def test_each_error_class_maps_to_its_exit_code_in_one_table():
    from senior_backend.common.cli import EXIT_CODES, ExitCode, exit_code_of
    from senior_backend.common.errors import BadInput, ToolError

    class NarrowerBadInput(BadInput):
        pass

    assert exit_code_of(NarrowerBadInput("x", "y")) == ExitCode.BAD_INPUT
    assert exit_code_of(ToolError("x", "y")) == ExitCode.INTERNAL
    assert sorted(EXIT_CODES.values()) == [1, 2, 3, 4, 70]
    result = run("unreachable")
    assert result.returncode == 4 and result.stderr == "error: cannot connect to db\n"


def test_the_library_never_imports_click_or_chooses_exit_codes():
    """Only the command modules (`cli*.py`, `spec_cli.py`) and common/cli.py and console.py may."""
    from pathlib import Path

    package = Path(__file__).resolve().parents[2] / "senior_backend"
    offenders = []
    for path in package.rglob("*.py"):
        if path.name.startswith("cli") or path.name in {"spec_cli.py", "console.py"}:
            continue
        text = path.read_text()
        if re.search(r"^\s*(import click|from click)", text, re.M) or "ExitCode" in text:
            offenders.append(str(path.relative_to(package)))
    assert offenders == []


def test_with_json_an_error_is_also_one_json_document_on_stdout():
    from senior_backend.common.json_schemas import validation_errors

    for args, code, rule in (
        (("refuse", "--json"), 3, "unsafe"),
        (("unreachable", "--format", "json"), 4, "down"),
        (("crash", "--format=json"), 70, "internal-error"),
        (("ok", "--json", "--no-such-flag"), 2, "usage"),
    ):
        result = run(*args)
        assert result.returncode == code, result.stderr
        document = json.loads(result.stdout)
        assert validation_errors(document, "error") == []
        assert document["exit_code"] == code and document["error"]["rule"] == rule
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: ")
    printed = run("ok", "--json")
    assert json.loads(printed.stdout) == {"ok": True}, "a run that printed its document prints no error one"


def test_a_closed_stdout_is_not_a_failed_check():
    """`tool | head -1`: the reader goes away mid-output; click alone would exit 1 (a failed check)."""
    program = PROGRAM.replace('out.table("T", ["a", "b"], [[1, "x"]])', 'out.table("T", ["a", "b"], [[i, "x" * 80] for i in range(200000)])')
    result = subprocess.run(
        f'{sys.executable} -c "$PROGRAM" ok | head -1 >/dev/null; echo "${{PIPESTATUS[0]}}"',
        shell=True,
        executable="/bin/bash",
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PROGRAM": program},
    )
    assert result.stdout.strip() == "0", result.stderr
    assert "Traceback" not in result.stderr


def test_spec_error_exits_2_without_traceback():
    result = run("spec")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith("error: missing-dir/spec.yaml: ")


def test_unexpected_exception_is_one_line_unless_debug():
    quiet = run("crash")
    assert quiet.returncode == 70
    assert "Traceback" not in quiet.stderr
    assert "ValueError: boom" in quiet.stderr and quiet.stderr.count("\n") == 1
    loud = run("crash", "--debug")
    assert "Traceback" in loud.stderr


def test_interrupt_exits_130():
    assert run("interrupt").returncode == 130


def test_usage_error_exits_2_on_one_line():
    result = run("ok", "--format", "xml")
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1
    assert "(hint: run with --help for usage)" in result.stderr


def test_json_mode_prints_one_document_on_stdout_and_logs_on_stderr():
    result = run("ok", "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"ok": True}
    assert "progress goes to stderr" in result.stderr


def test_plain_table_when_piped_and_check_exit_code():
    result = run("check")
    assert result.returncode == 1
    assert result.stdout.splitlines() == ["T", "a\tb", "1\tx", "done"]


@pytest.mark.parametrize(
    ("url", "masked"),
    [
        ("postgresql://app:s3cret@db:5432/prod", "postgresql://app:***@db:5432/prod"),
        ("postgres://app@db/prod", "postgres://app@db/prod"),
        ("postgresql://db/prod?user=a&password=s3cret", "postgresql://db/prod?user=a&password=***"),
        ("host=db user=app password=s3cret dbname=prod", "host=db user=app password=*** dbname=prod"),
        ("host=db password='se cret' dbname=prod", "host=db password=*** dbname=prod"),
        ("postgresql://u:p%40ss@db/x", "postgresql://u:***@db/x"),
    ],
)
def test_mask_password(url, masked):
    assert mask_password(url) == masked
