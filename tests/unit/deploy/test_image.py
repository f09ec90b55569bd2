"""The image builds without a Docker daemon (Debian's buildah, chroot isolation, vfs storage) and runs as the
pods run it: uid 10001 on a read-only root, where /healthz answers 200 and nothing under /app can be written.

Opt-in, because it takes minutes and needs a base image: registries cannot be reached from these machines, so
PORTAL_IMAGE_BASE names a locally made one (deploy/image/make-local-base.sh makes
localhost/gov-portal-base:bookworm). Without it the test is skipped and says why."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from shared.auth import generate_keypair
from tests.unit.deploy.manifests import REPO, RUN_AS

BASE = os.environ.get("PORTAL_IMAGE_BASE", "")
BUILDAH = ["buildah", "--storage-driver", "vfs"]
TAG = "localhost/gov-portal:smoke-test"
CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"


def reason_to_skip() -> str | None:
    if shutil.which("buildah") is None:
        return "buildah is not installed (Debian: apt-get install buildah)"
    if not BASE:
        return ("no base image: registries cannot be reached here; run deploy/image/make-local-base.sh and set "
                "PORTAL_IMAGE_BASE=localhost/gov-portal-base:bookworm")
    if os.geteuid() != 0:
        return "chroot isolation and the read-only bind mount need root"
    if subprocess.run([*BUILDAH, "inspect", "--type", "image", BASE], capture_output=True, check=False).returncode:
        return f"{BASE} is not in buildah's vfs store: run deploy/image/make-local-base.sh"
    return None


def run(*command: str, timeout: float = 60) -> str:
    done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout.strip()


@contextlib.contextmanager
def read_only_root(image: str, where: Path) -> Iterator[Path]:
    """The image's filesystem mounted read-only, with the pods' writable /tmp and the kernel's /proc and /dev."""
    container = run(*BUILDAH, "from", image)
    mounted: list[Path] = []
    try:
        rootfs = Path(run(*BUILDAH, "mount", container))
        root = where / "root"
        root.mkdir()
        run("mount", "--bind", str(rootfs), str(root))
        mounted.append(root)
        run("mount", "-o", "remount,bind,ro", str(root))
        for kind, target in (("tmpfs", "tmp"), ("proc", "proc")):
            run("mount", "-t", kind, kind, str(root / target))
            mounted.append(root / target)
        run("mount", "--bind", "/dev", str(root / "dev"))
        mounted.append(root / "dev")
        yield root
    finally:
        for path in reversed(mounted):
            subprocess.run(["umount", "-l", str(path)], check=False)
        subprocess.run([*BUILDAH, "rm", container], capture_output=True, check=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.timeout(1800)
def test_the_image_builds_and_serves_healthz_as_uid_10001_on_a_read_only_root(tmp_path: Path) -> None:
    skip = reason_to_skip()
    if skip:
        print(f"image build skipped: {skip}")
        pytest.skip(skip)
    try:
        build_and_run(tmp_path)
    finally:
        subprocess.run([*BUILDAH, "rmi", TAG], capture_output=True, check=False)
        subprocess.run([*BUILDAH, "rmi", "--prune"], capture_output=True, check=False)  # its untagged stages


def build_and_run(tmp_path: Path) -> None:
    run(*BUILDAH, "bud", "--isolation", "chroot", "--build-arg", f"BASE_IMAGE={BASE}", "-t", TAG, "-f",
        str(REPO / "Dockerfile"), str(REPO), timeout=1800)
    assert run(*BUILDAH, "inspect", "--type", "image", "--format", "{{.OCIv1.Config.User}}", TAG) == \
        f"{RUN_AS}:{RUN_AS}"
    with read_only_root(TAG, tmp_path) as root:
        user = f"--userspec={RUN_AS}:{RUN_AS}"
        writing = subprocess.run([CHROOT, user, str(root), "/bin/sh", "-c", "touch /app/written"],
                                 capture_output=True, text=True, check=False)
        assert writing.returncode != 0 and "Read-only file system" in writing.stderr
        port = free_port()
        env = {"PATH": "/app/.venv/bin:/usr/bin:/bin", "HOME": "/tmp", "PYTHONDONTWRITEBYTECODE": "1",
               "GATEWAY_IDENTITY_PRIVATE_KEY": generate_keypair()[0]}
        server = subprocess.Popen([CHROOT, user, str(root), "portal", "serve", "gateway", "--host", "127.0.0.1",
                                   "--port", str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            deadline, status = time.monotonic() + 60, None
            while time.monotonic() < deadline and server.poll() is None:
                with contextlib.suppress(httpx.TransportError):
                    status = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code
                    if status == 200:
                        break
                time.sleep(0.5)
            output = b"" if server.poll() is None else (server.stdout.read() if server.stdout else b"")
            assert status == 200, output.decode(errors="replace")[-3000:]
            uids = next(line for line in Path(f"/proc/{server.pid}/status").read_text().splitlines()
                        if line.startswith("Uid:"))
            assert uids.split()[1:] == [str(RUN_AS)] * 4
        finally:
            server.terminate()
            server.wait(timeout=15)
