# rollcall's image, prj3: `docker build . -t prj3`.
#
# Two stages on debian:bookworm-slim. The first compiles the daemon with
# the Makefile; the second holds only the binary, the runtime libraries and
# the hostsfile, and runs as a user without privileges. The entrypoint is
# the daemon, so a compose file's `command: -h hostsfile.txt -d 2` is its
# argv, resolved against /app.

FROM debian:bookworm-slim AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential pkg-config libuv1-dev libmsgpack-dev \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what `make build/rollcall` reads: the tests and the rest of the
# repository stay out, so editing them does not rebuild this layer.
COPY Makefile rollcall.c ./
COPY common/ common/
COPY heartbeat/ heartbeat/
COPY membership/ membership/
COPY reconcile/ reconcile/
COPY hooks/ hooks/
COPY hostsfiles/hostsfile.txt hostsfiles/
RUN make build/rollcall

FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libuv1 libmsgpackc2 \
 && apt-get clean && rm -rf /var/lib/apt/lists/* \
 && useradd --system --no-create-home --home-dir /app --shell /usr/sbin/nologin rollcall
COPY --from=build /src/build/rollcall /usr/local/bin/rollcall
WORKDIR /app
COPY --from=build /src/hostsfiles/hostsfile.txt hostsfile.txt
USER rollcall
ENTRYPOINT ["/usr/local/bin/rollcall"]
