# syntax=docker/dockerfile:1
# Gantry's image: one static, CGO-free binary on a small Debian runtime
# (tasks run under `sh -c`, so the runtime keeps a shell and coreutils).
#
#   docker build -t gantry:dev --build-arg VERSION=$(git describe --always) .
#   docker run -p 8080:8080 -v $PWD:/project -v gantry-state:/project/.gantry gantry:dev
#
# The project is mounted at /project (or copied into an image built FROM
# this one); its state — the SQLite store, logs, deployed revisions, the
# admin token — lives in the volume at /project/.gantry, as it does in
# .gantry/ of a project on a laptop.

ARG GO_IMAGE=golang:1.26-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${GO_IMAGE} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY internal ./internal
ARG VERSION=dev
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags "-s -w" -o /out/gantry ./cmd/gantry

FROM ${RUNTIME_IMAGE} AS runtime
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="gantry" \
      org.opencontainers.image.description="Deploys pipelines to production safely and keeps them healthy there" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="https://github.com/gantryhq/gantry" \
      org.opencontainers.image.licenses="Apache-2.0"
COPY --from=build /out/gantry /usr/local/bin/gantry
RUN groupadd --system --gid 10001 gantry \
 && useradd --system --uid 10001 --gid gantry --home-dir /project --shell /usr/sbin/nologin gantry \
 && mkdir -p /project/.gantry \
 && chown -R gantry:gantry /project
USER 10001:10001
WORKDIR /project
VOLUME ["/project/.gantry"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["gantry", "health", "--server", "http://127.0.0.1:8080"]
ENTRYPOINT ["gantry"]
CMD ["serve", "--project", "/project", "--addr", "0.0.0.0:8080"]
