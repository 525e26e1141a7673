"""Keys: random, stored only as SHA-256, compared in constant time; the file's mistakes named."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from api.keys import IMAGE_UID, KeyRing, KeysConfigError, Role, add_key, load_keys

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def test_a_new_key_is_stored_only_as_its_hash(tmp_path: Path) -> None:
    path = tmp_path / "keys.yaml"
    key = add_key(path, "ana", "analyst")
    assert len(key) >= 40 and key not in path.read_text()
    [entry] = load_keys(path)
    digest = hashlib.sha256(key.encode()).hexdigest()
    assert (entry.name, entry.role, entry.sha256) == ("ana", Role.analyst, digest)
    assert path.stat().st_mode & 0o777 == 0o640  # owner and group: the API runs as another uid


def test_the_keyring_identifies_holders_and_sees_new_keys_without_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "keys.yaml"
    ring = KeyRing(path)
    assert ring.identify("anything") is None
    ana = add_key(path, "ana", "analyst")
    assert ring.identify(ana) is not None and ring.identify(ana).role == Role.analyst  # type: ignore[union-attr]
    replaced = add_key(path, "ana", "viewer")
    assert ring.identify(ana) is None
    assert ring.identify(replaced).role == Role.viewer  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "needle"), [
    ("keys:\n  - {name: a, role: boss, sha256: " + "ab" * 32 + "}\n", "keys[0]: role"),
    ("keys:\n  - {name: a, role: admin, sha256: abc}\n", "keys[0]: sha256"),
    ("keys:\n  - {name: a, role: admin, sha256: " + "ab" * 32 + ", key: x}\n", "keys[0]: key: unknown key"),
    ("keys:\n  - {name: a, role: admin, sha256: " + "ab" * 32 + "}\n  - {name: a, role: viewer, sha256: "
     + "cd" * 32 + "}\n", "duplicate"),
    ("users: []\n", "only a 'keys:' list"),
    ("keys: [\n", "not valid YAML"),
])
def test_file_mistakes_name_the_file_and_the_entry(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "keys.yaml"
    path.write_text(text)
    with pytest.raises(KeysConfigError) as caught:
        load_keys(path)
    assert str(path) in str(caught.value) and needle in str(caught.value)


def test_cli_adds_lists_and_removes_keys(tmp_path: Path) -> None:
    env = {"TOCSIN_API__KEYS_FILE": str(tmp_path / "keys.yaml"), "PATH": "/usr/bin:/bin"}

    def tocsin(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "tocsin_launch.cli", *args], env=env,
                              capture_output=True, text=True, timeout=60)

    added = tocsin("api-key", "add", "ana", "--role", "analyst")
    assert added.returncode == 0, added.stderr
    key = added.stdout.strip()
    assert KeyRing(tmp_path / "keys.yaml").identify(key) is not None
    assert tocsin("api-key", "list").stdout == "ana\tanalyst\n"
    assert tocsin("api-key", "add", "bad name", "--role", "viewer").returncode == 2
    assert tocsin("api-key", "remove", "ana").returncode == 0
    assert KeyRing(tmp_path / "keys.yaml").identify(key) is None


# --- the keys file and the API's user (uid 10001 in the image) -----------------------------------


def test_adding_a_key_keeps_the_files_mode_and_group(tmp_path: Path) -> None:
    path = tmp_path / "keys.yaml"
    add_key(path, "ana", "analyst")
    os.chmod(path, 0o644)
    if os.geteuid() == 0:  # only root may give a file a group it is not in
        os.chown(path, -1, IMAGE_UID)
    add_key(path, "ben", "viewer")
    after = path.stat()
    assert after.st_mode & 0o777 == 0o644
    assert after.st_gid == (IMAGE_UID if os.geteuid() == 0 else os.getegid())
    assert [e.name for e in load_keys(path)] == ["ana", "ben"]


def test_an_unreadable_keys_file_says_how_to_let_the_api_read_it(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "api-keys.yaml"
    add_key(path, "ana", "analyst")

    def refuse(self: Path, *args: object, **kwargs: object) -> str:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_text", refuse)
    fix = "chgrp 10001 api-keys.yaml && chmod 640 api-keys.yaml"
    with pytest.raises(KeysConfigError, match=re.escape(fix)):
        load_keys(path)


def test_the_documented_command_adds_keys_in_the_images_group() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text(encoding="utf-8")
    assert f"--gid {IMAGE_UID} tocsin" in dockerfile and f"--uid {IMAGE_UID}" in dockerfile
    compose = (DEPLOY / "docker-compose.yml").read_text(encoding="utf-8")
    readme = (DEPLOY / "README.md").read_text(encoding="utf-8")
    for text in (compose, readme):
        commands = [line for line in text.splitlines() if "api-key add" in line or "--user" in line]
        assert commands and all(f'--user "$(id -u):{IMAGE_UID}"' in line for line in commands
                                if "--user" in line), commands
