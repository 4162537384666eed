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
    mkdir -p /deps /app; \
    if [ -n "$WHEELHOUSE" ]; then \
        cp "$WHEELHOUSE"/*.whl /deps/; \
    else \
        apt-get update; \
        apt-get install -y --no-install-recommends build-essential; \
        python3 -m venv /opt/build; \
        /opt/build/bin/pip install --no-cache-dir --upgrade pip wheel; \
        /opt/build/bin/pip wheel --no-cache-dir -c .ci/constraints.txt --wheel-dir /deps .; \
    fi; \
    mv /deps/emarket-*.whl /app/; \
    python3 -c "import configparser; c = configparser.ConfigParser(); c.read('setup.cfg'); \
print(c['options']['install_requires'].strip())" >/deps/requirements.txt; \
    cp .ci/constraints.txt /deps/constraints.txt

# --- install: a virtualenv from those wheels only, on the bare base (no compilers) -----------
# The dependencies first, in their own layers: they stay cached while only the code changes.
FROM ${PYTHON_IMAGE} AS install
COPY --from=builder /deps /deps
RUN python3 -m venv /opt/emarket \
 && /opt/emarket/bin/pip install --no-cache-dir --no-index --find-links /deps -c /deps/constraints.txt -r /deps/requirements.txt
COPY --from=builder /app /app
RUN /opt/emarket/bin/pip install --no-cache-dir --no-index --no-deps /app/*.whl \
 && /opt/emarket/bin/pip check \
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
