"""Finding templates: override, package copy, checkout; a sentinel decides; undefined names fail."""

from __future__ import annotations

import jinja2
import pytest

from senior_backend.common.errors import BadInput, ToolError
from senior_backend.scaffold import resources

pytestmark = pytest.mark.quick


def test_checkout_templates_are_found_from_a_source_tree(monkeypatch):
    monkeypatch.delenv(resources.ENV_VAR, raising=False)
    mode, path = resources.find_templates()
    assert mode == "checkout"
    assert (path / resources.SENTINEL).is_file()


def test_override_wins_and_env_var_works(tmp_path, monkeypatch):
    (tmp_path / resources.SENTINEL).write_text("")
    (tmp_path / "hello.txt.j2").write_text("hi {{ name }}")
    assert resources.find_templates(tmp_path) == ("override", tmp_path)
    monkeypatch.setenv(resources.ENV_VAR, str(tmp_path))
    assert resources.find_templates() == ("override", tmp_path)
    env = resources.template_environment()
    assert env.get_template("hello.txt.j2").render(name="x") == "hi x"
    with pytest.raises(jinja2.UndefinedError):
        env.get_template("hello.txt.j2").render()


def test_folder_without_sentinel_is_rejected(tmp_path):
    with pytest.raises(ToolError) as info:
        resources.find_templates(tmp_path)
    assert isinstance(info.value, BadInput)
    assert "not a senior-backend templates folder" in info.value.diagnostic.message


def test_package_copy_is_preferred_to_checkout(tmp_path, monkeypatch):
    package_root = tmp_path / "senior_backend"
    (package_root / "_templates").mkdir(parents=True)
    (package_root / "_templates" / resources.SENTINEL).write_text("")
    monkeypatch.setattr(resources, "_PACKAGE_ROOT", package_root)
    monkeypatch.delenv(resources.ENV_VAR, raising=False)
    assert resources.find_templates() == ("package", package_root / "_templates")
