# Build stage: the release binary, with migrations, the built-in catalog and the docs page
# compiled in.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY migrations migrations
COPY catalog catalog
COPY lexicon lexicon
COPY openapi openapi
COPY benches benches
RUN cargo build --release --locked

# Runtime stage: the binary alone, as an unprivileged user.
FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home-dir /data sammen \
    && mkdir /data && chown sammen /data
COPY --from=build /src/target/release/sammen /usr/local/bin/sammen
USER sammen
WORKDIR /data
ENV SAMMEN_BIND=0.0.0.0:8080 \
    SAMMEN_DATABASE_URL=sqlite:///data/sammen.db \
    SAMMEN_LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /readyz HTTP/1.0\\r\\n\\r\\n' >&3 && head -n1 <&3 | grep -q ' 200 '"]
ENTRYPOINT ["sammen"]
CMD ["serve"]
