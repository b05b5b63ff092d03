"""The pinned Node project under tests/node: install once, type-check and boot TypeScript."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

NODE_DIR = Path(__file__).resolve().parent.parent / "node"
STAMP = NODE_DIR / "node_modules" / ".senior-backend-lock-hash"

TSCONFIG = {
    "compilerOptions": {
        "target": "ES2022",
        "module": "NodeNext",
        "moduleResolution": "NodeNext",
        "strict": True,
        "noEmit": True,
        "esModuleInterop": True,
        "skipLibCheck": True,
        "forceConsistentCasingInFileNames": True,
        "types": ["node"],
        "typeRoots": [str(NODE_DIR / "node_modules" / "@types")],
    }
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Booted:
    """A Node process serving HTTP on 127.0.0.1:port."""

    process: subprocess.Popen[str]
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class NodeProject:
    """tests/node with its packages installed; links them into any folder of generated code."""

    def __init__(self, root: Path = NODE_DIR) -> None:
        self.root = root
        self.bin = root / "node_modules" / ".bin"

    def install(self) -> None:
        """`npm ci` unless node_modules already matches the lockfile."""
        lock_hash = hashlib.sha256((self.root / "package-lock.json").read_bytes()).hexdigest()
        if STAMP.exists() and STAMP.read_text() == lock_hash:
            return
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=self.root,
            check=True,
            capture_output=True,
            text=True,
            timeout=600,
        )
        STAMP.write_text(lock_hash)

    def link_into(self, folder: Path) -> None:
        """Make `folder` resolve packages from tests/node (symlinked node_modules, ESM package.json)."""
        folder.mkdir(parents=True, exist_ok=True)
        link = folder / "node_modules"
        if not link.exists():
            link.symlink_to(self.root / "node_modules", target_is_directory=True)
        package_json = folder / "package.json"
        if not package_json.exists():
            package_json.write_text(json.dumps({"type": "module", "private": True}))

    def typecheck(
        self, folder: Path, tsconfig_overrides: dict | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run `tsc --noEmit --strict` over every .ts file in `folder`; returns the finished process."""
        self.link_into(folder)
        config = json.loads(json.dumps(TSCONFIG))
        config["compilerOptions"].update(tsconfig_overrides or {})
        config["include"] = ["**/*.ts"]
        config["exclude"] = ["node_modules"]
        (folder / "tsconfig.json").write_text(json.dumps(config, indent=2))
        return subprocess.run(
            [str(self.bin / "tsc"), "-p", str(folder / "tsconfig.json")],
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=600,
        )

    @contextlib.contextmanager
    def boot(
        self,
        entry: Path,
        env: dict[str, str] | None = None,
        ready_path: str = "/",
        timeout: float = 30.0,
    ) -> Iterator[Booted]:
        """Run `tsx entry` with PORT/HOST set, wait until it answers HTTP, stop it afterwards."""
        self.link_into(entry.parent)
        port = free_port()
        log = entry.parent / f".boot-{port}.log"
        full_env = {**os.environ, "PORT": str(port), "HOST": "127.0.0.1", "NODE_ENV": "test", **(env or {})}
        with open(log, "w") as log_file:
            process = subprocess.Popen(
                [str(self.bin / "tsx"), str(entry)],
                cwd=entry.parent,
                env=full_env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                text=True,
                start_new_session=True,
            )
        booted = Booted(process, port, log)
        try:
            _wait_http(booted, ready_path, timeout)
            yield booted
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_http(booted: Booted, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if booted.process.poll() is not None:
            raise RuntimeError(f"node exited with {booted.process.returncode}:\n{booted.output()[-3000:]}")
        try:
            urllib.request.urlopen(booted.base_url + path, timeout=1)
            return
        except urllib.error.HTTPError:
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"node did not answer on {booted.base_url} in {timeout}s:\n{booted.output()[-3000:]}")


def node_available() -> bool:
    return shutil.which("node") is not None and shutil.which("npm") is not None
