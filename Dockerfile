# syntax=docker/dockerfile:1

FROM python:3.11-slim AS build

ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

RUN pip install --no-cache-dir uv==0.13.9

WORKDIR /app

COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

COPY shared/ shared/
COPY services/ services/
COPY portal/ portal/
COPY ministry_sdk/ ministry_sdk/
RUN uv sync --frozen --no-dev


FROM python:3.11-slim AS runtime

ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1

RUN groupadd --system --gid 10001 portal \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /tmp --shell /usr/sbin/nologin portal

WORKDIR /app
COPY --from=build /app /app

USER 10001:10001
EXPOSE 8080

ENTRYPOINT ["portal"]
CMD ["--help"]
