"""Round trip: spec -> generated code (each framework) -> --generate-spec -> the same API."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from senior_backend.common.openapi import load_openapi
from senior_backend.scaffold.ir import build_model
from tests.scaffold.conftest import FRAMEWORKS, SPECS
from tests.scaffold_tospec.compare import View
from tests.scaffold_tospec.conftest import recover

CASES = [(framework, spec) for framework in FRAMEWORKS for spec in SPECS]


def _views(framework: str, spec: str, recovered: Path) -> tuple[View, View]:
    return View(build_model(load_openapi(SPECS[spec])), framework), View(
        build_model(load_openapi(recovered)), framework
    )


@pytest.mark.quick
@pytest.mark.parametrize(("framework", "spec"), CASES)
def test_round_trip_keeps_operations_parameters_and_schemas(
    round_trip: dict[tuple[str, str], Path], framework: str, spec: str
) -> None:
    original, recovered = _views(framework, spec, round_trip[(framework, spec)])
    before, after = original.operations(), recovered.operations()
    assert sorted(after) == sorted(before)  # the spec's own paths, the base path in `servers`
    assert recovered.model.base_path == original.model.base_path
    for key, expected in before.items():
        got = after[key]
        assert got["parameters"] == expected["parameters"], key
        assert got["body"] == expected["body"], key
        assert got["responses"] == expected["responses"], key
        assert got["group"] == expected["group"], key  # the tag, from the route module's header
    assert recovered.components() == original.components()
    names = yaml.safe_load(round_trip[(framework, spec)].read_text()).get("components", {}).get("schemas", {})
    assert not [name for name in names if name.endswith((".read", ".write"))]  # views are derived anew
    ids = {(op.method, op.operation_id) for op in original.model.operations}
    assert {(op.method, op.operation_id) for op in recovered.model.operations} == ids


@pytest.mark.quick
@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_routes_folder_alone_follows_imports_to_schemas_and_types(
    round_trip: dict[tuple[str, str], Path], framework: str, tmp_path: Path
) -> None:
    """`--generate-spec out/routes/`: schemas.ts and types.ts are read through the imports; the
    app that adds the base path is not, which is a warning per router (Koa's routers carry it)."""
    routes = round_trip[(framework, "features31")].parent / "features31" / "routes"
    target = tmp_path / "spec.yaml"
    code, _, stderr = recover(routes, target)
    assert code == 0
    original, _ = _views(framework, "features31", round_trip[(framework, "features31")])
    alone = View(build_model(load_openapi(target)), framework)
    assert alone.operations() == original.operations()
    assert alone.model.base_path == ("/api/v1" if framework == "koa" else "")
    unmounted = [line for line in stderr.splitlines() if "no file read mounts this router" in line]
    assert len(unmounted) == len(list(routes.glob("*.ts")))
