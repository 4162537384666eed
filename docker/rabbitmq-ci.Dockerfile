# CI's stand-in for rabbitmq:3.13.7-management where no registry can be reached (scripts/compose-test,
# docker/compose.cluster-ci.yml): Debian 12's rabbitmq-server, run as the official image runs it
# (the node in the foreground as user rabbitmq, logs on the console, /etc/rabbitmq/conf.d read,
# RABBITMQ_DEFAULT_USER/PASS/VHOST and RABBITMQ_ERLANG_COOKIE honoured by RabbitMQ itself), so
# the compose files drive it unchanged. Its base is the Debian 12 image compose-test makes with
# debootstrap.
ARG DEBIAN_IMAGE=debian:bookworm-slim
FROM ${DEBIAN_IMAGE}
RUN set -eux; \
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends rabbitmq-server; \
    rm -rf /var/lib/apt/lists/* /usr/sbin/policy-rc.d; \
    : >/etc/rabbitmq/rabbitmq-env.conf; \
    mkdir -p /etc/rabbitmq/conf.d; \
    printf 'loopback_users.guest = false\nlisteners.tcp.default = 5672\nlog.console = true\n' \
      >/etc/rabbitmq/conf.d/10-defaults.conf
USER rabbitmq
ENV HOME=/var/lib/rabbitmq PATH=/usr/lib/rabbitmq/bin:$PATH
EXPOSE 5672
CMD ["rabbitmq-server"]
