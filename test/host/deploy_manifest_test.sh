#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Static check of the Kubernetes deployment files against the built agent:
#   deploy/syva-daemonset.yaml  every YAML document parses; Namespace,
#                               ConfigMap (exactly what `syva print-configmap`
#                               prints for policies/, which PyYAML must read
#                               back as policies/*.toml byte for byte),
#                               ServiceAccount, DaemonSet as the agent needs it
#   deploy/Dockerfile           builds with the Debian packages install-deps.sh
#                               names; its runtime stage installs a package for
#                               every shared library `ldd syva` lists
# No cluster and no container engine: it reads the files and the binary.
#
# Usage: test/host/deploy_manifest_test.sh [BUILD_DIR]   (default: build/)
#        test/host/deploy_manifest_test.sh --print-configmap [BUILD_DIR]
#            prints the ConfigMap document made from policies/*.toml by
#            `syva print-configmap`, to paste into the manifest after a
#            policy changes
# Prints one `ok: ...` or `FAIL: ...` line per check and ends with
#   deploy_manifest_test: N passed, N failed
# Exit 0 when every check passed, 1 otherwise.
# Needs python3 with PyYAML (Debian: python3-yaml) and dpkg.
set -uo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

# Debian's interpreter first: python3-yaml installs PyYAML for it.
py=""
for cand in /usr/bin/python3 python3; do
	if command -v "$cand" >/dev/null 2>&1 && "$cand" -c 'import yaml, tomllib' 2>/dev/null; then
		py=$cand
		break
	fi
done
if [[ -z $py ]]; then
	echo "FAIL: no python3 (>= 3.11) with PyYAML: apt-get install python3-yaml"
	echo "deploy_manifest_test: 0 passed, 1 failed"
	exit 1
fi

build=$repo/build
if [[ ${1:-} == --print-configmap ]]; then
	exec "${2:-$build}/syva" print-configmap --policy-dir "$repo/policies"
elif [[ -n ${1:-} ]]; then
	build=$1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Policies whose bytes a YAML literal block carries only with care: no final
# newline, several, a first line indented, tabs and trailing blanks, CRLF,
# non-ASCII. Each is a valid policy (print-configmap refuses invalid ones).
tricky=$work/tricky
mkdir -p "$tricky"
printf '[zone]\nmode = "audit"' >"$tricky/no-final-newline.toml"
printf '[zone]\nmode = "audit"\n\n\n' >"$tricky/newlines-kept.toml"
printf '  # indented first line\n[zone]\n' >"$tricky/indented.toml"
printf '#\ttab and trailing blanks   \n[zone]  \n' >"$tricky/blanks.toml"
printf '[zone]\r\nmode = "enforce"\r\n' >"$tricky/crlf.toml"
printf '# zone \xc3\xa9t\xc3\xa9 \xe2\x80\x94 \xf0\x9f\x94\x92\n[zone]\n' >"$tricky/utf8.toml"
printf '\n' >"$tricky/only-newline.toml"

bin=$build/syva
if [[ -x $bin ]]; then
	"$bin" print-configmap --policy-dir "$repo/policies" >"$work/configmap.yaml" 2>"$work/configmap.err"
	echo $? >"$work/configmap.rc"
	"$bin" print-configmap --policy-dir "$tricky" --name tricky --namespace t >"$work/tricky.yaml" 2>"$work/tricky.err"
	echo $? >"$work/tricky.rc"
fi

: >"$work/help" && : >"$work/libs"
if [[ -x $bin ]]; then
	"$bin" --help >"$work/help" 2>&1 || echo "syva --help exited $?" >"$work/help-error"
	# One line per library: NAME PATH PACKAGE (PACKAGE "-" when dpkg owns
	# no such file). ldd lists the whole closure, not only DT_NEEDED.
	ldd "$bin" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// {print $1, $3}' | while read -r name path; do
		pkg=""
		for p in "$path" "$(readlink -f "$path")" "/usr$path" "${path#/usr}"; do
			[[ -n $p ]] || continue
			pkg=$(dpkg -S "$p" 2>/dev/null | head -n 1 | cut -d: -f1) && [[ -n $pkg ]] && break
		done
		echo "$name $path ${pkg:--}"
	done >"$work/libs"
else
	echo "no executable $bin (build first: scripts/build.sh)" >"$work/help-error"
fi

"$py" - "$repo" "$work" <<'PY'
import json, os, re, shlex, sys, tomllib
import yaml

repo, work = sys.argv[1], sys.argv[2]
manifest_path = os.path.join(repo, "deploy/syva-daemonset.yaml")
dockerfile_path = os.path.join(repo, "deploy/Dockerfile")
policy_dir = os.path.join(repo, "policies")

NAMESPACE = "syva-system"
CONFIGMAP = "syva-policies"
CONTAINERD_SOCK = "/run/containerd/containerd.sock"  # containerd's default, on the node
PIN_DEFAULT = "/sys/fs/bpf/syva"
# Linux capabilities the agent needs, as Kubernetes spells them (CRI adds "CAP_").
CAPS = {"BPF", "PERFMON", "SYS_ADMIN", "SYS_PTRACE", "DAC_READ_SEARCH", "DAC_OVERRIDE"}
# debian:bookworm-slim already holds these (Essential / required by apt), so
# the runtime stage need not name them.
BASE_IMAGE_PACKAGES = {"libc6", "libgcc-s1", "libstdc++6"}
# install-deps.sh packages that are for testing and the VM demo, not building.
NOT_FOR_BUILDING = {"qemu-system-x86", "busybox-static", "cpio", "containerd", "runc",
                    "python3", "python3-yaml", "python3-prometheus-client", "libclang-rt-14-dev",
                    # the package and image tests (debootstrap, buildah) and the .deb (dpkg-dev)
                    "debootstrap", "buildah", "dpkg-dev",
                    # the zone network test (veth pairs, network namespaces) and
                    # the CNI test (containers on a bridge)
                    "iproute2", "containernetworking-plugins"}


def policy_files():
    return sorted(f for f in os.listdir(policy_dir) if f.endswith(".toml"))


results = []


def check(ok, what, why=""):
    results.append(bool(ok))
    print(f"ok: {what}" if ok else f"FAIL: {what}" + (f": {why}" if why else ""))
    return bool(ok)


def under(path, root):
    root = root.rstrip("/") or "/"
    return path == root or path.startswith(root + "/") or root == "/"


# ---- the binary --------------------------------------------------------
help_text = open(os.path.join(work, "help")).read()
err_file = os.path.join(work, "help-error")
binary_ok = check(not os.path.exists(err_file) and "--policy-dir" in help_text,
                  "the built syva answers --help",
                  open(err_file).read().strip() if os.path.exists(err_file) else "no --policy-dir in its help")
help_flags = set(re.findall(r"--[a-z][a-z0-9-]*", help_text))

# ---- the manifest parses -----------------------------------------------
docs = []
try:
    with open(manifest_path) as fh:
        docs = [d for d in yaml.safe_load_all(fh) if d is not None]
    parsed = check(docs and all(isinstance(d, dict) and d.get("apiVersion") and d.get("kind")
                                and (d.get("metadata") or {}).get("name") for d in docs),
                   f"{os.path.relpath(manifest_path, repo)} parses: {len(docs)} documents, each with apiVersion, kind, metadata.name")
except (OSError, yaml.YAMLError) as e:
    parsed = check(False, f"{os.path.relpath(manifest_path, repo)} parses", str(e).replace("\n", " "))


def find(kind, name, namespaced=True):
    for d in docs:
        md = d.get("metadata") or {}
        if d.get("kind") == kind and md.get("name") == name and (not namespaced or md.get("namespace") == NAMESPACE):
            return d
    return None


ns = find("Namespace", NAMESPACE, namespaced=False)
check(ns, f"Namespace {NAMESPACE}")
cm = find("ConfigMap", CONFIGMAP)
check(cm, f"ConfigMap {NAMESPACE}/{CONFIGMAP}")
ds = None
for d in docs:
    if d.get("kind") == "DaemonSet" and (d.get("metadata") or {}).get("namespace") == NAMESPACE:
        ds = d
check(ds and ds.get("apiVersion") == "apps/v1", f"DaemonSet (apps/v1) in {NAMESPACE}")

# ---- ConfigMap: what `syva print-configmap` prints, == policies/*.toml ----
def printed(stem, policy_dir, name, namespace):
    """Checks `syva print-configmap` on policy_dir; returns its text or None."""
    rc_file = os.path.join(work, stem + ".rc")
    rc = open(rc_file).read().strip() if os.path.exists(rc_file) else "not run (no binary)"
    err = open(os.path.join(work, stem + ".err")).read().strip() if os.path.exists(rc_file) else ""
    rel = os.path.relpath(policy_dir, repo) if policy_dir.startswith(repo) else os.path.basename(policy_dir) + "/"
    if not check(rc == "0", f"syva print-configmap --policy-dir {rel} exits 0", f"exit {rc} {err}"):
        return None
    text = open(os.path.join(work, stem + ".yaml")).read()
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        check(False, f"syva print-configmap's {rel} ConfigMap parses", str(e).replace("\n", " "))
        return None
    md = (doc or {}).get("metadata") or {}
    check(doc.get("apiVersion") == "v1" and doc.get("kind") == "ConfigMap" and md.get("name") == name
          and md.get("namespace") == namespace, f"syva print-configmap's {rel} document is ConfigMap {namespace}/{name}")
    files = sorted(f for f in os.listdir(policy_dir) if f.endswith(".toml"))
    data = doc.get("data") or {}
    same = set(data) == set(files)
    for f in files:
        with open(os.path.join(policy_dir, f), "rb") as fh:
            want = fh.read()
        got = data.get(f)
        if not (isinstance(got, str) and got.encode("utf-8") == want):
            same = False
            print(f"    {f}: wanted {want!r}, PyYAML read {got!r}")
    check(same, f"PyYAML reads syva print-configmap's {rel} back as its {len(files)} files byte for byte")
    return text


printed("tricky", os.path.join(work, "tricky"), "tricky", "t")
want_cm = printed("configmap", policy_dir, CONFIGMAP, NAMESPACE)
if want_cm is not None:
    try:
        manifest_docs = re.split(r"(?m)^---[ \t]*\n", open(manifest_path).read())
    except OSError:
        manifest_docs = []
    cm_text = [d for d in manifest_docs if re.search(r"(?m)^kind: ConfigMap$", d)]
    check(len(cm_text) == 1 and cm_text[0] == want_cm,
          f"the manifest's ConfigMap is exactly `syva print-configmap --policy-dir policies`",
          "differs: regenerate with `build/syva print-configmap --policy-dir policies`")

if cm:
    data = cm.get("data") or {}
    files = policy_files()
    check(set(data) == set(files) and not cm.get("binaryData"),
          f"ConfigMap {CONFIGMAP} has one key per policies/*.toml ({', '.join(files)})",
          f"keys {sorted(data)}")
    for f in files:
        with open(os.path.join(policy_dir, f), "rb") as fh:
            want = fh.read()
        got = data.get(f)
        check(isinstance(got, str) and got.encode("utf-8") == want,
              f"ConfigMap key {f} equals policies/{f} byte for byte",
              "differs: regenerate with `build/syva print-configmap --policy-dir policies`")

# ---- DaemonSet ---------------------------------------------------------
spec = ((ds or {}).get("spec") or {})
pod_meta = ((spec.get("template") or {}).get("metadata") or {})
pod = ((spec.get("template") or {}).get("spec") or {})
selector = ((spec.get("selector") or {}).get("matchLabels") or {})
labels = pod_meta.get("labels") or {}
check(selector and all(labels.get(k) == v for k, v in selector.items()),
      "DaemonSet selector matches its pod template's labels", f"selector {selector}, labels {labels}")

sa_name = pod.get("serviceAccountName")
check(sa_name and find("ServiceAccount", sa_name),
      f"ServiceAccount {NAMESPACE}/{sa_name} exists and the pods use it")
check(pod.get("hostPID") is True, "hostPID: true (the agent reads /proc/PID/cgroup and /proc/PID/root of containers)")
tol = pod.get("tolerations") or []
check(any(t.get("operator") == "Exists" and not t.get("key") and not t.get("effect") for t in tol),
      "a toleration with operator Exists and no key/effect: runs on every node, tainted or not")
grace = pod.get("terminationGracePeriodSeconds")
check(isinstance(grace, int) and grace >= 10,
      f"terminationGracePeriodSeconds ({grace}) leaves time to detach and unpin on SIGTERM")

containers = pod.get("containers") or []
check(len(containers) == 1, "the pod has one container, the agent", f"{len(containers)} containers")
c = containers[0] if containers else {}
command = c.get("command") or []
args = [str(a) for a in (c.get("args") or [])]

# The image's ENTRYPOINT is ["syva"]; a command may wrap it (nsenter) but must run syva.
entry = command[-1] if command else "syva"
check(os.path.basename(entry) == "syva", f"the container runs syva (command {command or '[image ENTRYPOINT]'})")

# Agent flags: each must be one `syva --help` documents, with a value, but
# for the agent's switches.
SWITCHES = {"--persist"}
agent_opts, bad = {}, []
i = 0
while i < len(args):
    a = args[i]
    if a in SWITCHES:
        agent_opts[a] = True
    elif a.startswith("--") and "=" in a:
        k, v = a.split("=", 1)
        agent_opts[k] = v
    elif a.startswith("--") and i + 1 < len(args) and not args[i + 1].startswith("--"):
        agent_opts[a] = args[i + 1]
        i += 1
    else:
        bad.append(a)
    i += 1
check(not bad, "every container argument is a --flag with a value", f"stray {bad}")
for flag in agent_opts:
    check(binary_ok and flag in help_flags, f"argument {flag} is a flag `syva --help` lists",
          f"help lists {sorted(help_flags)}")
for flag in ("--policy-dir", "--containerd-sock", "--pin-path"):
    check(flag in agent_opts, f"the agent is given {flag} explicitly")
# A rolling update stops the old pod first: without --persist the node would
# be unenforced until the new one is ready.
check("--persist" in agent_opts, "the agent leaves enforcement pinned across rolling updates (--persist)")

if "--metrics-address" in agent_opts:
    mport = str(agent_opts["--metrics-address"]).rsplit(":", 1)[-1]
    declared = [str(p.get("containerPort")) for p in c.get("ports") or [] if p.get("protocol", "TCP") == "TCP"]
    check(mport in declared, f"--metrics-address {agent_opts['--metrics-address']}: the container declares port {mport}",
          f"ports {declared}")

sc = c.get("securityContext") or {}
caps = sc.get("capabilities") or {}
added = [str(x) for x in caps.get("add") or []]
check(sc.get("privileged") is False, "privileged: false")
check([str(x).upper() for x in caps.get("drop") or []] == ["ALL"], "capabilities drop ALL")
check(set(added) == CAPS, f"capabilities add exactly {sorted(CAPS)}", f"add {added}")
check(not any(x.upper().startswith("CAP_") for x in added),
      "capability names carry no CAP_ prefix (the CRI adds it: CAP_BPF would become CAP_CAP_BPF)")
check(not ("SYS_ADMIN" in added and sc.get("allowPrivilegeEscalation") is False),
      "allowPrivilegeEscalation is not false (the API server rejects it with SYS_ADMIN)")
# containerd gives a non-privileged container on cgroup v2 a private cgroup
# namespace: /proc/PID/cgroup of other pods then reads "/../..", and cgroup
# v2's nsdelegate refuses moving the self-test child to a cgroup outside it.
host_cgroupns = sc.get("privileged") is True or (
    len(command) >= 2 and os.path.basename(command[0]) == "nsenter"
    and "--cgroup=/proc/1/ns/cgroup" in command and "SYS_PTRACE" in added and pod.get("hostPID") is True)
check(host_cgroupns, "the agent runs in the node's cgroup namespace (nsenter --cgroup=/proc/1/ns/cgroup, hostPID, SYS_PTRACE)")

res = c.get("resources") or {}
req, lim = res.get("requests") or {}, res.get("limits") or {}
check(req.get("cpu") and req.get("memory") and lim.get("memory"),
      f"resources: requests {req}, limits {lim}", "need requests cpu+memory and a memory limit")

# ---- mounts ------------------------------------------------------------
volumes = {v.get("name"): v for v in pod.get("volumes") or []}
mounts = c.get("volumeMounts") or []
check(all(m.get("name") in volumes for m in mounts), "every volumeMount names a volume of the pod")
for m in mounts:
    if m.get("mountPropagation") == "Bidirectional":
        check(sc.get("privileged") is True, f"mount {m.get('mountPath')}: Bidirectional propagation",
              "the API server allows Bidirectional only in privileged containers")


def mount_for(path):
    """The volumeMount that shows `path` in the container: longest mountPath prefix."""
    best = None
    for m in mounts:
        mp = m.get("mountPath", "")
        if mp and under(path, mp) and (best is None or len(mp) > len(best.get("mountPath"))):
            best = m
    return best


def node_path(path):
    """Where `path` in the container is on the node, or None if no hostPath shows it."""
    m = mount_for(path)
    if not m:
        return None, None
    v = volumes.get(m.get("name")) or {}
    hp = (v.get("hostPath") or {}).get("path")
    if not hp or m.get("subPath"):
        return None, m
    rest = path[len(m["mountPath"].rstrip("/")):]
    return hp.rstrip("/") + rest if rest else hp, m


def want_host(path, what, node=None, writable=None):
    got, m = node_path(path)
    node = node or path
    ok = got == node
    why = f"shows node path {got}" if m else "no volumeMount covers it"
    if ok and writable is not None and bool(m.get("readOnly")) == writable:
        ok, why = False, f"mounted {'read-only' if m.get('readOnly') else 'read-write'}"
    check(ok, f"{what}: {path} in the container is the node's {node}"
          + ("" if writable is None else (" (read-write)" if writable else " (read-only)")), why)
    return m


pd = agent_opts.get("--policy-dir", "/etc/syva/policies")
m = next((m for m in mounts if m.get("mountPath") == pd), None)
v = volumes.get((m or {}).get("name")) or {}
check(m and (v.get("configMap") or {}).get("name") == CONFIGMAP and not m.get("subPath"),
      f"--policy-dir {pd} is the mountPath of ConfigMap {CONFIGMAP} (whole, no subPath: updates reach it)")

want_host(agent_opts.get("--containerd-sock", CONTAINERD_SOCK), "--containerd-sock", node=CONTAINERD_SOCK)

pin = agent_opts.get("--pin-path", PIN_DEFAULT)
check(under(pin, "/sys/fs/bpf") and pin.rstrip("/") != "/sys/fs/bpf", f"--pin-path {pin} is a directory under /sys/fs/bpf")
bpf_mount = want_host("/sys/fs/bpf", "BPF filesystem (pins outlive the pod)", writable=True)
check(mount_for(pin) is bpf_mount and bpf_mount is not None, f"--pin-path {pin} lies in the /sys/fs/bpf hostPath mount")
want_host("/sys/fs/cgroup", "cgroup2 (zone membership by cgroup id; self-test cgroup)", writable=True)
want_host("/sys/kernel/btf", "kernel BTF (CO-RE relocations at load)", writable=False)
want_host("/sys/kernel/security", "securityfs (the active LSM list)", writable=False)

# Policy host_paths are walked in the agent's mount namespace: each must be the node's own path.
for f in policy_files():
    with open(os.path.join(policy_dir, f), "rb") as fh:
        hp = ((tomllib.load(fh).get("filesystem") or {}).get("host_paths")) or []
    for p in hp:
        want_host(p, f"policies/{f} host_paths", writable=False)

# ---- probes ------------------------------------------------------------
# Each probe is run here with a stand-in `syva` first on PATH that records its
# arguments and exits 0, 1 or 2: the probe must call `syva status` on the
# agent's pin path, pass on 0 and fail on 1. Where `syva --help` documents 2 as
# ACTIVE but degraded, liveness and startup must pass on it (a restart would
# unpin) and readiness must fail on it.
import subprocess, tempfile
degraded_is_active = bool(re.search(r"\b2 when ACTIVE but degraded", help_text, re.I))
fake = tempfile.mkdtemp(dir=work)
with open(os.path.join(fake, "syva"), "w") as fh:
    fh.write('#!/bin/sh\nprintf "%s\\n" "$@" > "$SYVA_PROBE_ARGS"\nexit "$SYVA_PROBE_RC"\n')
os.chmod(os.path.join(fake, "syva"), 0o755)
for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
    pr = c.get(probe)
    if pr is None and probe == "startupProbe":
        continue
    cmd = [str(x) for x in ((pr or {}).get("exec") or {}).get("command") or []]
    want = {0: True, 1: False}
    if degraded_is_active:
        want[2] = probe != "readinessProbe"
    got, calls = {}, []
    for rc in want:
        argf = os.path.join(fake, f"args-{probe}-{rc}")
        env = {"PATH": f"{fake}:/usr/bin:/bin", "SYVA_PROBE_RC": str(rc), "SYVA_PROBE_ARGS": argf}
        try:
            got[rc] = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     timeout=10).returncode == 0 if cmd else None
        except (OSError, subprocess.SubprocessError):
            got[rc] = None
        calls.append(open(argf).read().split("\n")[:-1] if os.path.exists(argf) else None)
    argv = calls[0]
    ppin = None
    if argv and argv[0] == "status":
        ppin = PIN_DEFAULT
        if "--pin-path" in argv:
            k = argv.index("--pin-path")
            ppin = argv[k + 1] if k + 1 < len(argv) else None
    flags = [x for x in (argv or [])[1:] if x.startswith("--")]
    check(argv and ppin == pin and all(x in help_flags for x in flags),
          f"{probe} runs `syva status` on the agent's pin path {pin}", f"command {cmd} ran syva with {argv}")
    check(got == want, f"{probe} passes on `syva status` exit "
          + " and ".join(str(k) for k, v in want.items() if v) + ", fails on "
          + " and ".join(str(k) for k, v in want.items() if not v),
          f"passes on {[k for k, v in got.items() if v]}")

# ---- Dockerfile ----------------------------------------------------------
stages = []  # [(FROM line, [RUN/COPY/ENTRYPOINT instructions])]
try:
    with open(dockerfile_path) as fh:
        raw = fh.read()
except OSError as e:
    raw = ""
    check(False, "deploy/Dockerfile exists", str(e))
logical, cur = [], ""
for line in raw.split("\n"):
    if line.lstrip().startswith("#") and not cur:
        continue
    if line.lstrip().startswith("#"):
        continue  # a comment inside a continued instruction
    if line.rstrip().endswith("\\"):
        cur += line.rstrip()[:-1] + " "
        continue
    cur += line
    if cur.strip():
        logical.append(cur.strip())
    cur = ""
for ins in logical:
    word = ins.split(None, 1)[0].upper()
    if word == "FROM":
        stages.append((ins, []))
    elif stages:
        stages[-1][1].append(ins)


def apt_packages(instructions):
    pkgs = set()
    for ins in instructions:
        if not ins.upper().startswith("RUN "):
            continue
        for part in re.split(r"&&|;|\|\|", ins[4:]):
            words = shlex.split(part.replace("\\", " "))
            while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
                words = words[1:]  # VAR=value apt-get ...
            if len(words) >= 2 and words[0] in ("apt-get", "apt") and "install" in words:
                pkgs.update(w for w in words[words.index("install") + 1:] if not w.startswith("-"))
    return pkgs


if raw:
    check(len(stages) >= 2 and all(re.search(r"\bdebian:bookworm-slim\b", s[0]) for s in stages),
          "deploy/Dockerfile: a build stage and a runtime stage, each FROM debian:bookworm-slim",
          f"stages {[s[0] for s in stages]}")
    build_pkgs = set().union(*(apt_packages(s[1]) for s in stages[:-1])) if len(stages) > 1 else set()
    run_stage = stages[-1][1] if stages else []
    run_pkgs = apt_packages(run_stage)

    deps = open(os.path.join(repo, "scripts/install-deps.sh")).read()
    arr = re.search(r"pkgs=\((.*?)\)", deps, re.S)
    wanted = set(arr.group(1).split()) - NOT_FOR_BUILDING if arr else set()
    check(arr and wanted <= build_pkgs,
          f"build stage installs the building packages of scripts/install-deps.sh ({len(wanted)})",
          f"missing {sorted(wanted - build_pkgs)}")
    check(any(re.search(r"cmake\b.*--build", i) for s in stages[:-1] for i in s[1]), "build stage builds with cmake")
    # Every top-level directory CMakeLists.txt takes sources from must be copied in.
    cml = open(os.path.join(repo, "CMakeLists.txt")).read()
    src_dirs = set(re.findall(r"\$\{CMAKE_SOURCE_DIR\}/([A-Za-z0-9_.-]+)/", cml))
    src_dirs |= set(re.findall(r"(?<![/\w$}])([a-z][A-Za-z0-9_-]*)/[\w/.-]+\.(?:c|cc|cpp|h|proto)\b", cml))
    # add_subdirectory(bench), include(cmake/Packaging.cmake): configure fails without them.
    src_dirs |= set(re.findall(r"add_subdirectory\(([A-Za-z0-9_.-]+)\)", cml))
    src_dirs |= set(re.findall(r"include\(([A-Za-z0-9_.-]+)/[\w.-]+\.cmake\)", cml))
    src_dirs = {d for d in src_dirs if os.path.isdir(os.path.join(repo, d))}
    copied = set()
    for s in stages[:-1]:
        for i in s[1]:
            if i.upper().startswith("COPY") and "--from" not in i:
                copied |= {w.rstrip("/") for w in i.split()[1:-1] if not w.startswith("--")}
    check(src_dirs and (src_dirs <= copied or "." in copied),
          f"build stage copies every source directory CMakeLists.txt uses ({', '.join(sorted(src_dirs))})",
          f"missing {sorted(src_dirs - copied)}")
    check(any(i.upper().startswith("COPY") and "--from=" in i and re.search(r"/usr/local/bin/syva\b", i) for i in run_stage),
          "runtime stage copies the built syva to /usr/local/bin/syva")
    ep = [i for i in run_stage if i.upper().startswith("ENTRYPOINT")]
    check(ep and json.loads(ep[-1].split(None, 1)[1]) == ["syva"], 'runtime stage: ENTRYPOINT ["syva"]')

    libs = [l.split() for l in open(os.path.join(work, "libs")).read().splitlines() if l.strip()]
    check(libs, f"ldd lists the shared libraries of the built syva ({len(libs)})")
    by_pkg = {}
    for name, path, pkg in libs:
        by_pkg.setdefault(pkg, []).append(name)
    for pkg in sorted(by_pkg):
        names = by_pkg[pkg]
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        if pkg == "-":
            check(False, f"libraries {shown} belong to a Debian package", "dpkg -S knows no owner: the image cannot install them")
        elif pkg in BASE_IMAGE_PACKAGES:
            check(True, f"{pkg} ({shown}) is already in debian:bookworm-slim")
        else:
            check(pkg in run_pkgs, f"runtime stage installs {pkg} ({shown})",
                  f"runtime stage installs only {sorted(run_pkgs)}")

passed = sum(results)
failed = len(results) - passed
print(f"deploy_manifest_test: {passed} passed, {failed} failed")
sys.exit(0 if failed == 0 and passed > 0 else 1)
PY
