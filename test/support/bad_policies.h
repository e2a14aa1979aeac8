// SPDX-License-Identifier: Apache-2.0
// Invalid policy files, each with the one problem the loader must report
// (file, line and field). The unit tests load each; the kernel tests feed
// each to a running agent, which must refuse it and keep what it enforces.
#pragma once

namespace syva::test {

struct BadPolicy {
  const char* what;
  const char* file;
  const char* body;
  const char* expected;  // substring of the one problem reported
};

inline constexpr BadPolicy kBadPolicies[] = {
    {"unknown section", "a.toml", "[capabilites]\nallowed = []\n", "a.toml:1: [capabilites]: unknown section"},
    {"unknown key", "a.toml", "[network]\nmode = \"bridged\"\nallowed_zone = []\n",
     "a.toml:3: [network] allowed_zone: unknown field"},
    {"wrong type", "a.toml", "[resources]\ncpu_shares = \"lots\"\n",
     "a.toml:2: [resources] cpu_shares: must be an integer"},
    {"out of range", "a.toml", "\n[resources]\npids_max = 0\n", "a.toml:3: [resources] pids_max: 0 is out of range"},
    {"memory below a page", "a.toml", "[resources]\nmemory_limit = 12\n", "a.toml:2: [resources] memory_limit"},
    {"unknown capability", "a.toml", "[capabilities]\nallowed = [\"CAP_CHOWN\", \"CAP_FLY\"]\n",
     "a.toml:2: [capabilities] allowed: unknown capability 'CAP_FLY'"},
    {"capability not a string", "a.toml", "[capabilities]\nallowed = [3]\n",
     "a.toml:2: [capabilities] allowed: every element must be a string"},
    {"too many writable paths", "a.toml",
     "[filesystem]\nwritable_paths = [\"/a\", \"/b\", \"/c\", \"/d\", \"/e\", \"/f\", \"/g\", \"/h\", \"/i\"]\n",
     "a.toml:2: [filesystem] writable_paths: at most 8 paths (this has 9)"},
    {"bad zone mode", "a.toml", "[zone]\nmode = \"permissive\"\n",
     "a.toml:2: [zone] mode: 'permissive' is not one of enforce, audit"},
    {"unknown zone field", "a.toml", "[zone]\nmodes = \"audit\"\n", "a.toml:2: [zone] modes: unknown field"},
    {"bad network mode", "a.toml", "[network]\nmode = \"mesh\"\n",
     "a.toml:2: [network] mode: 'mesh' is not one of isolated, bridged, host"},
    {"accept_from_node not a boolean", "a.toml", "[network]\nmode = \"bridged\"\naccept_from_node = \"yes\"\n",
     "a.toml:3: [network] accept_from_node: must be true or false"},
    {"bad egress", "a.toml", "[network]\nallowed_egress = [\"10.0.0.0/40:1\"]\n",
     "a.toml:2: [network] allowed_egress: '10.0.0.0/40:1': prefix length"},
    {"bad zone name in allowed_zones", "a.toml", "[network]\nallowed_zones = [\"Bad_Zone\"]\n",
     "a.toml:2: [network] allowed_zones: 'Bad_Zone' is not a valid zone name"},
    {"missing zone", "a.toml", "[network]\nallowed_zones = [\"ghost\"]\n",
     "a.toml:2: [network] allowed_zones: zone 'ghost' has no policy file"},
    {"relative path", "a.toml", "[filesystem]\nwritable_paths = [\"tmp\"]\n",
     "a.toml:2: [filesystem] writable_paths: 'tmp' must be an absolute path"},
    {"syscall without a hook", "a.toml", "[syscalls]\ndeny = [\"reboot\"]\n",
     "a.toml:2: [syscalls] deny: 'reboot' has no LSM hook"},
    {"section not a table", "a.toml", "network = 3\n", "[network] : must be a table"},
    {"bad zone file name", "Front_End.toml", "", "zone name 'Front_End'"},
    {"TOML syntax", "a.toml", "[network\nmode = 1\n", "a.toml:1: TOML syntax"},
};

}  // namespace syva::test
