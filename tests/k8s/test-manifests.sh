#!/usr/bin/env bash
# manifests.py's own cases: the manifests as they are pass, and each way of
# spoiling a copy of them fails with the check that names it.
#
#   tests/k8s/test-manifests.sh [-v]      (-v shows manifests.py's output)

set -u
# Debian's python3 (python3-yaml is its), unless PYTHON says otherwise.
py=${PYTHON:-$([ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)}
here=$(cd "$(dirname "$0")" && pwd)
src=$here/../../deploy/k8s
verbose=0
[ "${1:-}" = -v ] && verbose=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# expect PASS|FAIL NAME [FILE SED-SCRIPT [WORD]]: manifests.py on a copy
# with FILE spoiled by SED-SCRIPT; for FAIL, a failing check must contain
# WORD.
expect() {
	local want=$1 name=$2 file=${3:-} script=${4:-} word=${5:-} out got
	rm -rf "$tmp/k8s"
	cp -R "$src" "$tmp/k8s"
	[ -n "$file" ] && sed -i -e "$script" "$tmp/k8s/$file"
	out=$("$py" "$here/manifests.py" "$tmp/k8s" 2>&1)
	if [ $? -eq 0 ]; then got=PASS; else got=FAIL; fi
	[ "$verbose" -eq 1 ] && printf '%s\n' "$out" | sed 's/^/    /'
	if [ "$got" = "$want" ] && { [ -z "$word" ] ||
		printf '%s\n' "$out" | grep '^FAIL' | grep -qF -- "$word"; }; then
		echo "ok: $name"
		passed=$((passed + 1))
	else
		echo "FAIL: $name: got $got, wanted $want${word:+ naming \"$word\"}"
		printf '%s\n' "$out" | grep '^FAIL' | sed 's/^/    /'
		failed=$((failed + 1))
	fi
}

expect PASS "the manifests as they are"
expect FAIL "six replicas, five names" statefulset.yaml 's/replicas: 5/replicas: 6/' "replicas"
expect FAIL "a name in another namespace" configmap.yaml 's/rollcall-3.rollcall.default/rollcall-3.rollcall.other/' "hostsfile lists"
expect FAIL "names out of ordinal order" configmap.yaml '/rollcall-1\./{h;d};/rollcall-2\./G' "hostsfile lists"
expect FAIL "kustomization in another namespace" kustomization.yaml 's/^namespace: default/namespace: lab/' "hostsfile lists"
expect FAIL "serviceName not the Service" statefulset.yaml 's/serviceName: rollcall/serviceName: peers/' "serviceName"
expect FAIL "no UDP port in the Service" service.yaml 's/protocol: UDP/protocol: TCP/' "Service ports"
expect FAIL "container port off by one" statefulset.yaml '0,/containerPort: 7610/s//containerPort: 7611/' "container ports"
expect FAIL "--port differs from the ports" statefulset.yaml 's|- --rejoin|- --rejoin\n            - --port\n            - "7700"|' "Service ports"
expect FAIL "not headless" service.yaml 's/clusterIP: None/clusterIP: 10.0.0.1/' "headless"
expect FAIL "not-ready addresses hidden" service.yaml 's/publishNotReadyAddresses: true/publishNotReadyAddresses: false/' "publishNotReadyAddresses"
expect FAIL "the probe through a shell" statefulset.yaml 's|- /usr/local/bin/rollcall$|- /bin/sh\n                - -c\n                - /usr/local/bin/rollcall|' "readiness probe"
expect FAIL "-h where nothing is mounted" statefulset.yaml 's|- /etc/rollcall/hostsfile.txt|- /app/hostsfile.txt|' "ConfigMap's key"
expect FAIL "a Service selecting no pod" service.yaml '/selector:/{n;s/rollcall/other/}' "Service selects"
expect FAIL "a manifest kustomize leaves out" kustomization.yaml '/- service.yaml/d' "lists every manifest"
expect FAIL "running as root" statefulset.yaml 's/runAsUser: 10001/runAsUser: 0/' "runAsUser"
expect FAIL "a keyring others can read" statefulset.yaml 's/defaultMode: 0400/defaultMode: 0444/' "keyring's mode"
expect FAIL "a keyring mounted writable" statefulset.yaml '/mountPath: \/etc\/rollcall-keyring/{n;s/readOnly: true/readOnly: false/}' "readOnly"
expect FAIL "fsGroup not the daemon's group" statefulset.yaml 's/fsGroup: 10001/fsGroup: 2000/' "fsGroup"
expect FAIL "--keyring where no Secret is" statefulset.yaml 's|- /etc/rollcall-keyring/keyring|- /etc/rollcall/keyring|' "is a Secret"
expect FAIL "no keyring" statefulset.yaml '/- --keyring/{N;d}' "--keyring"
expect FAIL "YAML that does not parse" service.yaml 's/^spec:/spec: [/' "parses"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
