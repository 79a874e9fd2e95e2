# SPDX-License-Identifier: Apache-2.0
# The vmcp-telemetry container image, and the collector's.
#
#   docker build -t vmcp-telemetry:0.1.0 .
#   docker build --target collector -t vmcp-telemetry-collector:0.1.0 .
#
# Stage 1 builds on Debian 12 with the -dev packages, exactly as 'make' does on
# a Debian host. Stage 2 is debian:12-slim plus the runtime halves of those
# packages and the CA bundle for uploads, nothing else. The runtime package
# list is checked against the binary's shared libraries by
# tests/integration/deploy.sh (readelf + dpkg -S), so a new library in the
# Makefile without a matching package here fails the tests. The collector
# stage is the same for vmcp-telemetry-collector (its HTTP server and
# SQLite; no libcurl); the last stage, the client, is the default target.

FROM debian:12 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      gcc make pkg-config libc6-dev \
      libyajl-dev zlib1g-dev libcurl4-openssl-dev libpcre2-dev libyaml-dev \
      libmicrohttpd-dev libsqlite3-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make -j"$(nproc)" all && make install PREFIX=/usr/local DESTDIR=/out

FROM debian:12-slim AS collector
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libyajl2 zlib1g libpcre2-8-0 libyaml-0-2 libmicrohttpd12 libsqlite3-0 \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/usr/local/bin/vmcp-telemetry-collector /usr/local/bin/vmcp-telemetry-collector
# The database lives on a volume; the root filesystem can be read-only.
VOLUME /var/lib/vmcp-telemetry-collector
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/vmcp-telemetry-collector"]
CMD ["--listen", "0.0.0.0:8080", "--db", "/var/lib/vmcp-telemetry-collector/reports.db"]

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libyajl2 zlib1g libcurl4 libpcre2-8-0 libyaml-0-2 ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/usr/local/bin/vmcp-telemetry /usr/local/bin/vmcp-telemetry
# A numeric user, so Kubernetes can check runAsNonRoot without /etc/passwd.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/vmcp-telemetry"]
CMD ["--help"]
