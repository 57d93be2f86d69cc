# Builds dateline and serves the demo data on port 8080 with its own PostgreSQL.
# With DATABASE_URL set, it uses that server instead: docker run -e DATABASE_URL=... dateline serve
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql \
 && rm -rf /var/lib/apt/lists/*
RUN useradd --system --create-home --home-dir /var/lib/dateline dateline
COPY --from=build /src/target/release/dateline /usr/local/bin/dateline
USER dateline
ENV DATELINE_HOST=0.0.0.0 \
    DATELINE_DATA_DIR=/var/lib/dateline/postgres
EXPOSE 8080
ENTRYPOINT ["dateline"]
CMD ["serve", "--demo"]
