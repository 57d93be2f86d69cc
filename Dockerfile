# dateline in a container. Alone it serves the demo data on port 8080 with its own PostgreSQL
# (`docker run -p 8080:8080 dateline`); with DATABASE_URL it uses that server instead, which is
# what compose.yaml does.
#
# Three build stages so that a change to the sources rebuilds only dateline, not its
# dependencies: cargo-chef turns the manifests into a recipe, the dependencies are built from
# the recipe alone (a layer Docker caches while Cargo.toml and Cargo.lock stay the same), then
# the sources are built on top.

FROM rust:1-bookworm AS chef
RUN cargo install cargo-chef --locked --version 0.1.78
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
COPY --from=planner /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked --bin dateline

FROM debian:bookworm-slim
# The PostgreSQL server binaries are for the embedded database (no DATABASE_URL); the versions
# are Debian bookworm's, which security updates move, so they are not pinned.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --create-home --home-dir /var/lib/dateline dateline
COPY --from=build /src/target/release/dateline /usr/local/bin/dateline
USER 10001
ENV DATELINE_HOST=0.0.0.0 \
    DATELINE_DATA_DIR=/var/lib/dateline/postgres
EXPOSE 8080
# Ready means the database answers (GET /readyz is 200); bash's /dev/tcp needs no curl.
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /readyz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["dateline"]
CMD ["serve", "--demo"]
