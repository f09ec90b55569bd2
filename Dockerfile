# syntax=docker/dockerfile:1
# One image for every process of the portal; the command picks which: `portal serve <service>`,
# `portal requests-worker --ministries <code> ...`, `portal ministry onboard ...` (deploy/k8s sets it).
#
# The base is pinned to an exact Python patch release and Debian release, not yet to a digest: the machines
# this repository is built on here cannot reach a registry to resolve one. The release pipeline pins it:
#   docker buildx imagetools inspect python:3.11.13-slim-bookworm --format '{{json .Manifest.Digest}}'
# and writes both FROM lines as python:3.11.13-slim-bookworm@sha256:<that digest>.

# BASE_IMAGE: a machine that cannot pull (no registry) builds on a locally made base with the same interface
# (python and pip on PATH, Debian bookworm): deploy/image/make-local-base.sh, then
# `buildah bud --build-arg BASE_IMAGE=localhost/gov-portal-base:bookworm ...` (tests/unit/deploy/test_image.py).
ARG BASE_IMAGE=python:3.11.13-slim-bookworm

FROM ${BASE_IMAGE} AS build

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# The uv that wrote uv.lock.
RUN pip install --no-cache-dir uv==0.13.9

WORKDIR /app

# Dependencies first, exactly as locked and without the dev group: a source change does not reinstall them.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

COPY shared/ shared/
COPY services/ services/
COPY portal/ portal/
COPY ministry_sdk/ ministry_sdk/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev
# The gettext catalogues' .mo files are built, not kept in git (as `make catalogues` does on a developer's machine).
RUN for po in services/*/locale/*/LC_MESSAGES/*.po; do .venv/bin/pybabel compile -i "$po" -o "${po%.po}.mo"; done


FROM ${BASE_IMAGE} AS runtime

LABEL org.opencontainers.image.title="gov-portal" \
      org.opencontainers.image.description="Unified Government Services Portal: gateway, services, workers"

ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

# The same uid/gid the pods require (runAsUser 10001); its home is /tmp, the one writable path in the pods.
RUN groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin portal

WORKDIR /app
# Owned by root: the runtime user can read and run the code, never change it.
COPY --from=build /app /app

USER 10001:10001
EXPOSE 8080

# checkov:skip=CKV_DOCKER_7: FROM names the ARG BASE_IMAGE, whose default is pinned to an exact release (python:3.11.13-slim-bookworm); checkov cannot resolve build arguments
# checkov:skip=CKV_DOCKER_2: Kubernetes probes /healthz and /readyz itself; the image also runs one-shot commands (ministry onboard) that serve no HTTP, which a HEALTHCHECK would mark unhealthy
ENTRYPOINT ["portal"]
CMD ["--help"]
