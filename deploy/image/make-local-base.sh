#!/usr/bin/env bash
# A stand-in for python:3.11-slim-bookworm where no registry can be reached: Debian bookworm (python 3.11)
# from Debian's own mirror, with what the Dockerfile expects of its base (python and pip on PATH, pip allowed
# to install uv). Tagged localhost/gov-portal-base:bookworm in buildah's vfs store. Needs root, debootstrap and
# buildah (Debian packages). The release pipeline never uses it: it builds on the pinned official image.
set -euo pipefail
rootfs=$(mktemp -d /tmp/gov-portal-base.XXXXXX)
trap 'rm -rf "$rootfs"' EXIT
debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates \
  bookworm "$rootfs" "${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
ln -sf python3 "$rootfs/usr/bin/python"
printf '[global]\nbreak-system-packages = true\n' > "$rootfs/etc/pip.conf"
rm -rf "$rootfs/var/cache/apt/archives"/*.deb "$rootfs/var/lib/apt/lists"/*
# This machine's trust store (public CA certificates only), so a TLS-inspecting proxy the host trusts is
# trusted by pip and uv inside the build too; SSL_CERT_FILE points uv at it (uv bundles its own roots).
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
container=$(buildah --storage-driver vfs from scratch)
buildah --storage-driver vfs copy "$container" "$rootfs" /
buildah --storage-driver vfs config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt --cmd /bin/bash "$container"
buildah --storage-driver vfs commit --rm "$container" localhost/gov-portal-base:bookworm
