"""The Node fixture: pinned packages, strict type-checking, and booting a server we can call."""

from __future__ import annotations

import json
import urllib.request

import pytest

pytestmark = pytest.mark.node

SERVER = """
import express, { type Request, type Response } from "express";

const app = express();
app.use(express.json());
app.post("/echo/:id", (req: Request<{ id: string }>, res: Response) => {
  res.status(201).json({ id: Number(req.params.id), body: req.body });
});
const port = Number(process.env.PORT ?? 3000);
app.listen(port, process.env.HOST ?? "127.0.0.1");
"""


def test_strict_typecheck_passes_and_fails_for_real(node_project, tmp_path):
    good = tmp_path / "good"
    good.mkdir()
    (good / "server.ts").write_text(SERVER)
    result = node_project.typecheck(good)
    assert result.returncode == 0, result.stdout + result.stderr

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "oops.ts").write_text("export function f(x) { return x * 2 }\nconst n: number = 'text';\n")
    result = node_project.typecheck(bad)
    assert result.returncode != 0
    assert "TS7006" in result.stdout and "TS2322" in result.stdout


def test_boots_a_typescript_server_and_answers(node_project, tmp_path):
    (tmp_path / "server.ts").write_text(SERVER)
    with node_project.boot(tmp_path / "server.ts") as server:
        request = urllib.request.Request(
            server.base_url + "/echo/7",
            data=json.dumps({"name": "x"}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 201
            assert json.loads(response.read()) == {"id": 7, "body": {"name": "x"}}
    assert server.process.poll() is not None, "the server is stopped after the block"
