"""Contract test: schemathesis (run as its CLI) fuzzes each framework's generated server for the
features spec and must find no server errors, undocumented statuses, schema-violating responses,
or accepted invalid requests."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from tests.scaffold.conftest import FRAMEWORKS, SPECS

pytestmark = [pytest.mark.node, pytest.mark.slow]

CHECKS = "not_a_server_error,status_code_conformance,response_schema_conformance,negative_data_rejection"


def _schemathesis() -> list[str]:
    found = shutil.which("schemathesis") or shutil.which("st")
    if found is None:
        pytest.skip("schemathesis is not installed (pip install schemathesis)")
    return [found]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_schemathesis_finds_no_contract_violation(framework: str, server, tmp_path) -> None:
    booted = server(framework, "features31")
    command = [
        *_schemathesis(),
        "run",
        str(SPECS["features31"]),
        "--url",
        booted.base_url + "/api/v1",
        "--checks",
        CHECKS,
        "--max-examples",
        "8",
        "--seed",
        "7",
        "--no-shrink",
        "--workers",
        "1",
        "--phases",
        "coverage,fuzzing",
        "--request-timeout",
        "5",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=180, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    generated = re.search(r"(\d+) generated", output)
    assert generated and int(generated.group(1)) >= 100, output[-2000:]
    assert "Tested: 10" in output
