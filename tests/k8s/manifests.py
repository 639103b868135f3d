#!/usr/bin/env python3
"""Check deploy/k8s/ without a cluster: every manifest parses, and the
pieces agree with each other, with the image and with the hostsfile.

    python3 tests/k8s/manifests.py [DIR]        (DIR: deploy/k8s)
    python3 tests/k8s/manifests.py --hostsfile OUT [DIR]
    python3 tests/k8s/manifests.py --args [DIR]

The second form also writes the ConfigMap's hostsfile to OUT, the third
prints the container's arguments one a line: tests/k8s/docker.sh runs the
image with exactly what the manifests give a pod.

Prints one line per check ("ok: ..." or "FAIL: ..."), then
"N passed, N failed"; exits 1 on any failure. What is checked:
  - kustomization.yaml lists every other manifest, and only those;
  - one StatefulSet, one headless Service, one ConfigMap;
  - names: the StatefulSet's serviceName is the Service; the Service
    selects the pods' labels, as does the StatefulSet's selector;
  - the Service has no cluster IP and publishes not-ready addresses;
  - ports: TCP and UDP on the daemon's port (--port, else 7610) in the
    Service and the container alike;
  - the ConfigMap's hostsfile is mounted where -h points, and lists
    exactly rollcall-0..N-1.<service>.<namespace>.svc.cluster.local for
    the N replicas, in ordinal order;
  - a pod's hostname (its name) finds its own line by first label;
  - the readiness probe runs the image's binary on the file --status
    names, with no shell; the state volume is at ROLLCALL_STATE;
  - the pod runs as the Dockerfile's user, not as root;
  - --keyring names a key of a Secret mounted read-only, with a
    defaultMode for the owner alone and fsGroup equal to runAsGroup
    (the kubelet makes the file 0440 root:fsGroup, which the daemon
    accepts only when fsGroup is its own group).
"""

import os
import re
import sys

import yaml

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_PORT = 7610
BINARY = "/usr/local/bin/rollcall"
CLUSTER_DOMAIN = "svc.cluster.local"

results = []


def check(ok, what):
    results.append((bool(ok), what))
    return bool(ok)


def load_dir(path):
    docs = {}
    for name in sorted(os.listdir(path)):
        if not name.endswith((".yaml", ".yml")):
            continue
        with open(os.path.join(path, name), encoding="utf-8") as f:
            try:
                docs[name] = [d for d in yaml.safe_load_all(f) if d]
            except yaml.YAMLError as e:
                check(False, f"{name} parses: {e}")
                continue
        check(True, f"{name} parses ({len(docs[name])} document(s))")
    return docs


def one_of_kind(docs, kind):
    found = [d for ds in docs.values() for d in ds if d.get("kind") == kind]
    check(len(found) == 1, f"exactly one {kind} (found {len(found)})")
    return found[0] if found else {}


def option(args, flag):
    """The value after flag (or in flag=value) in args, else None."""
    for i, a in enumerate(args):
        if a == flag and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(flag + "="):
            return a[len(flag) + 1:]
    return None


def hostsfile_entries(text):
    """Entries as common/hosts.c reads them: blank and # lines skipped."""
    out = []
    for line in text.splitlines():
        s = line.strip()
        if s and not s.startswith("#"):
            out.append(s)
    return out


def first_label_finds(hostname, entries):
    """common/hosts.c's hosts_find for a pod's hostname: an exact match,
    else the one entry whose first label is the name."""
    low = [e.lower() for e in entries]
    if hostname.lower() in low:
        return low.index(hostname.lower()) + 1
    hits = [i + 1 for i, e in enumerate(low) if e.split(".")[0] == hostname.lower()]
    return hits[0] if len(hits) == 1 else 0


def dockerfile_user():
    with open(os.path.join(ROOT, "Dockerfile"), encoding="utf-8") as f:
        users = re.findall(r"^USER\s+(\S+)", f.read(), re.M)
    return users[-1] if users else None


def ports_of(items, key):
    return {(p.get("protocol", "TCP"), p.get(key)) for p in items or []}


def check_all(path):
    docs = load_dir(path)
    kust = docs.pop("kustomization.yaml", [{}])[0] if "kustomization.yaml" in docs \
        else {}
    check(kust, "kustomization.yaml present")
    listed = set(kust.get("resources", []))
    check(listed == set(docs), f"kustomization lists every manifest: {sorted(listed)}")
    ns = kust.get("namespace", "default")

    sts = one_of_kind(docs, "StatefulSet")
    svc = one_of_kind(docs, "Service")
    cm = one_of_kind(docs, "ConfigMap")
    spec = sts.get("spec", {})
    pod = spec.get("template", {}).get("spec", {})
    labels = spec.get("template", {}).get("metadata", {}).get("labels", {})
    containers = pod.get("containers", [])
    check(len(containers) == 1, "the pod has one container")
    c = containers[0] if containers else {}
    args = [str(a) for a in c.get("args", [])]
    replicas = spec.get("replicas", 1)
    name = sts.get("metadata", {}).get("name", "")
    service = svc.get("metadata", {}).get("name", "")

    # Names and selectors.
    check(replicas == 5, f"replicas: 5 (found {replicas})")
    check(spec.get("serviceName") == service,
          f"serviceName {spec.get('serviceName')!r} is the Service {service!r}")
    sel = spec.get("selector", {}).get("matchLabels", {})
    check(sel and sel.items() <= labels.items(),
          f"the StatefulSet selects its pods' labels {sel}")
    ssel = svc.get("spec", {}).get("selector", {})
    check(ssel and ssel.items() <= labels.items(),
          f"the Service selects the pods' labels {ssel}")
    check(c.get("image") == "prj3", f"the image is prj3 ({c.get('image')!r})")
    check("command" not in c, "no command: the image's entrypoint runs")

    # The headless Service.
    check(svc.get("spec", {}).get("clusterIP") == "None",
          "the Service is headless (clusterIP: None)")
    check(svc.get("spec", {}).get("publishNotReadyAddresses") is True,
          "publishNotReadyAddresses: true")

    # Ports.
    port = int(option(args, "--port") or DEFAULT_PORT)
    want = {("TCP", port), ("UDP", port)}
    sports = svc.get("spec", {}).get("ports", [])
    check(ports_of(sports, "port") == want, f"Service ports TCP and UDP {port}")
    # A targetPort is a number or the name of a container port.
    cnames = {p.get("name"): p.get("containerPort") for p in c.get("ports", [])}
    targets = {(p.get("protocol", "TCP"),
                cnames.get(p.get("targetPort"), p.get("targetPort", p.get("port"))))
               for p in sports}
    check(targets == want, f"Service targetPorts reach TCP and UDP {port}")
    check(ports_of(c.get("ports"), "containerPort") == want,
          f"container ports TCP and UDP {port}")

    # The hostsfile: mounted where -h says, naming exactly the pods.
    hosts_path = option(args, "-h")
    check(hosts_path, f"-h names the hostsfile ({hosts_path})")
    mounts = {m["name"]: m for m in c.get("volumeMounts", [])}
    vols = {v["name"]: v for v in pod.get("volumes", [])}
    cm_name = cm.get("metadata", {}).get("name")
    cm_vol = [n for n, v in vols.items()
              if v.get("configMap", {}).get("name") == cm_name]
    check(cm_vol and cm_vol[0] in mounts, f"the ConfigMap {cm_name} is mounted")
    key = None
    if cm_vol and cm_vol[0] in mounts and hosts_path:
        mdir = mounts[cm_vol[0]]["mountPath"].rstrip("/")
        key = hosts_path[len(mdir) + 1:] if hosts_path.startswith(mdir + "/") else None
    data = cm.get("data", {})
    check(key in data, f"-h {hosts_path} is the ConfigMap's key {key!r}")
    entries = hostsfile_entries(data.get(key, "")) if key in data else []
    expect = [f"{name}-{i}.{service}.{ns}.{CLUSTER_DOMAIN}" for i in range(replicas)]
    check(entries == expect,
          f"the hostsfile lists {name}-0..{replicas - 1}.{service}.{ns}.{CLUSTER_DOMAIN}"
          + ("" if entries == expect else f" (found {entries})"))
    check(all(first_label_finds(f"{name}-{i}", entries) == i + 1
              for i in range(replicas)),
          f"hostname {name}-N finds line N+1 by its first label")
    check("--id" not in args, "no --id: each pod finds its own from its hostname")

    # Readiness from the status file, by the daemon's own binary.
    status = option(args, "--status")
    check(status, f"--status names the status file ({status})")
    probe = c.get("readinessProbe", {}).get("exec", {}).get("command", [])
    check(probe == [BINARY, "--ready", status],
          f"readiness probe: {BINARY} --ready {status}, no shell"
          + ("" if probe == [BINARY, "--ready", status] else f" (found {probe})"))
    if status:
        sdir = os.path.dirname(status)
        check(any(m["mountPath"].rstrip("/") == sdir for m in mounts.values()),
              f"the status file's directory {sdir} is a volume (the root is read-only)")

    # State: ROLLCALL_STATE on its own volume.
    env = {e["name"]: e.get("value") for e in c.get("env", [])}
    state = env.get("ROLLCALL_STATE", "/var/lib/rollcall")
    smount = [m for m in mounts.values() if m["mountPath"].rstrip("/") == state]
    check(smount, f"ROLLCALL_STATE {state} is a volume")
    claims = [t["metadata"]["name"] for t in spec.get("volumeClaimTemplates", [])]
    if smount:
        vname = smount[0]["name"]
        check(vname in claims or "emptyDir" in vols.get(vname, {}),
              f"the state volume {vname} is an emptyDir or a volumeClaimTemplate")

    # The user.
    user = dockerfile_user()
    sc = pod.get("securityContext", {})
    uid = user.split(":")[0] if user else None
    check(sc.get("runAsNonRoot") is True, "runAsNonRoot: true")
    check(uid is not None and str(sc.get("runAsUser")) == uid,
          f"runAsUser {sc.get('runAsUser')} is the Dockerfile's USER {user}")

    # The keyring: a Secret's key, read-only, for the owner alone.
    keyring = option(args, "--keyring")
    check(keyring, f"--keyring names the keyring ({keyring})")
    if keyring:
        kdir, kkey = os.path.dirname(keyring), os.path.basename(keyring)
        km = [m for m in mounts.values() if m["mountPath"].rstrip("/") == kdir]
        kv = vols.get(km[0]["name"], {}) if km else {}
        sec = kv.get("secret", {})
        check(km and sec.get("secretName"),
              f"the keyring's directory {kdir} is a Secret")
        check(km and km[0].get("readOnly") is True and "subPath" not in km[0],
              "the keyring's Secret is mounted readOnly, without subPath")
        items = sec.get("items")
        check(not items or any(i.get("path") == kkey for i in items),
              f"the keyring's file {kkey} is a key of the Secret")
        modes = [sec.get("defaultMode", 0o644)] + \
            [i["mode"] for i in items or [] if "mode" in i]
        check(all(int(m) & 0o077 == 0 for m in modes),
              f"the keyring's mode is for the owner alone ({[oct(int(m)) for m in modes]})")
        check(sc.get("fsGroup") == sc.get("runAsGroup"),
              f"fsGroup {sc.get('fsGroup')} is runAsGroup {sc.get('runAsGroup')}: "
              "the keyring's group must be the daemon's")

    return data.get(key, ""), args


def main(argv):
    out_hosts = None
    print_args = False
    rest = []
    it = iter(argv)
    for a in it:
        if a == "--hostsfile":
            out_hosts = next(it, None)
        elif a == "--args":
            print_args = True
        else:
            rest.append(a)
    path = rest[0] if rest else os.path.join(ROOT, "deploy", "k8s")
    hosts_text, args = check_all(path)
    failed = sum(1 for ok, _ in results if not ok)
    if print_args:
        if failed:
            print("manifests.py: the manifests fail their checks", file=sys.stderr)
            return 1
        print("\n".join(args))
        return 0
    for ok, what in results:
        print(("ok: " if ok else "FAIL: ") + what)
    if out_hosts and not failed:
        with open(out_hosts, "w", encoding="utf-8") as f:
            f.write(hosts_text)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
