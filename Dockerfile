# rollcall's image, prj3: `docker build . -t prj3`.
#
# The build stage, on debian:bookworm-slim, links the daemon statically
# (`make STATIC=1`: Debian's libuv_a.a, libmsgpackc.a and libsodium.a,
# glibc's libc.a)
# and lays out everything the final stage holds under /out. The final
# stage is empty but for that: the stripped binary, the hostsfile, the
# state directory and two lines of /etc, run as an unprivileged numeric
# user. About 1.5 MB in all (docs/operations.md: "The image"). The entrypoint is the
# daemon, so a compose file's `command: -h hostsfile.txt -d 2` is its argv,
# resolved against /app. There is no shell: a probe or a healthcheck runs
# the daemon's own binary.

FROM debian:bookworm-slim AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential pkg-config libuv1-dev libmsgpack-dev libsodium-dev \
 && apt-get clean && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Only what `make build-static/rollcall` reads: the tests and the rest of
# the repository stay out, so editing them does not rebuild this layer.
COPY Makefile ./
COPY common/ common/
COPY heartbeat/ heartbeat/
COPY membership/ membership/
COPY reconcile/ reconcile/
COPY rollcall/ rollcall/
# The Paxos core: the library (common/wire_paxos.c) carries its messages.
COPY paxos/ paxos/
COPY hostsfiles/hostsfile.txt hostsfiles/
# The linker's warnings about getaddrinfo and getpwuid_r in a static
# binary are expected: see the Makefile's STATIC=1. image-root lays out
# /out, the final image's root (the stripped binary, the hostsfile, a
# passwd line for the user, /etc/nsswitch.conf), and /state/rollcall,
# ROLLCALL_STATE's directory, the user's alone (the Makefile's image-root).
RUN make STATIC=1 IMAGE=prj3 image-root

FROM scratch
COPY --from=build /out/ /
COPY --from=build --chown=10001:10001 /state/ /var/lib/
ENV ROLLCALL_STATE=/var/lib/rollcall
WORKDIR /app
USER 10001:10001
ENTRYPOINT ["/usr/local/bin/rollcall"]
