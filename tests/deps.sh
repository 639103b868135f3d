#!/usr/bin/env bash
# Install what building and testing rollcall needs, from Debian's packages,
# when it is missing. Idempotent; run by `make test` and `make test-net`;
# the Dockerfile's build stage needs only the first line's packages
# (iptables: the network scenarios' cuts and loss; iproute2: the scale
# bench's own network namespace; python3-matplotlib:
# tools/timeline's pictures; python3-yaml: the Kubernetes manifests' checks).
set -eu
need=(build-essential pkg-config libuv1-dev libmsgpack-dev libsodium-dev libcmocka-dev
	valgrind bc iptables iproute2 python3-matplotlib python3-yaml)
missing=()
for p in "${need[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} = 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "rollcall: missing packages: ${missing[*]}; install them as root" \
		"(apt-get install ${missing[*]})" >&2
	exit 1
fi
echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q > /dev/null
apt-get install -y -q --no-install-recommends "${missing[@]}" > /dev/null
