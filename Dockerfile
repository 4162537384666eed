# One image for every Python process of emarket: auth, shop, bank, the Celery workers, beat,
# Flower and the migrations. docker-compose.yml picks the process by its command.
#
#   docker build -t emarket .                                   # wheels from PyPI
#   docker build --build-arg WHEELHOUSE=build/wheelhouse -t emarket .
#       # offline (CI): wheels built on the host with `pip wheel -w build/wheelhouse .`;
#       # nothing is fetched inside the build (pip --no-index --find-links).
ARG PYTHON_IMAGE=python:3.11-slim

# --- builder: the project and its dependencies as wheels (compilers live only here) ----------
FROM ${PYTHON_IMAGE} AS builder
ARG WHEELHOUSE=""
WORKDIR /src
COPY . .
RUN set -eux; \
    if [ -n "$WHEELHOUSE" ]; then \
        mkdir /wheels; cp "$WHEELHOUSE"/*.whl /wheels/; \
    else \
        apt-get update; \
        apt-get install -y --no-install-recommends build-essential; \
        python3 -m venv /opt/build; \
        /opt/build/bin/pip install --no-cache-dir --upgrade pip wheel; \
        /opt/build/bin/pip wheel --no-cache-dir --wheel-dir /wheels .; \
    fi

# --- install: a virtualenv from those wheels only, on the bare base (no compilers) -----------
FROM ${PYTHON_IMAGE} AS install
COPY --from=builder /wheels /wheels
RUN python3 -m venv /opt/emarket \
 && /opt/emarket/bin/pip install --no-cache-dir --no-index --find-links /wheels emarket \
 && /opt/emarket/bin/emarket --help >/dev/null

# --- runtime: the virtualenv and a non-root user; the wheels stay behind ---------------------
FROM ${PYTHON_IMAGE} AS runtime
RUN groupadd --system --gid 10001 emarket \
 && useradd --system --uid 10001 --gid emarket --home-dir /var/lib/emarket --shell /usr/sbin/nologin emarket \
 && mkdir -p /var/lib/emarket/jwt \
 && chown -R emarket:emarket /var/lib/emarket \
 && chmod 0700 /var/lib/emarket/jwt
COPY --from=install /opt/emarket /opt/emarket
COPY docker/probe.py /usr/local/bin/emarket-probe
ENV PATH=/opt/emarket/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    EMARKET_VAR_DIR=/var/lib/emarket
USER emarket
WORKDIR /var/lib/emarket
EXPOSE 8000 8001 8002 5555
CMD ["emarket", "--help"]
