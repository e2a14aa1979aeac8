// syva-demo-zone: puts a cgroup in a zone by writing the agent's pinned
// zone_membership map, the one write the containerd watcher makes for every
// container. For the demo and tests in a VM without containerd; not part of
// the agent, which has no control API.
#include <bpf/bpf.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <string>

#include "enforcer/kernel_ids.h"
#include "syva_abi.h"

int main(int argc, char** argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: syva-demo-zone PIN_PATH CGROUP_DIR ZONE\n");
    return 64;
  }
  const std::string pin = argv[1], cgroup = argv[2], zone = argv[3];
  int names = bpf_obj_get((pin + "/zone_names").c_str());
  int members = bpf_obj_get((pin + "/zone_membership").c_str());
  if (names < 0 || members < 0) {
    fprintf(stderr, "syva-demo-zone: no pinned maps under %s: %s\n", pin.c_str(), strerror(errno));
    return 1;
  }
  for (uint32_t id = 1; id < SYVA_MAX_ZONES; ++id) {
    syva_zone_name v{};
    if (bpf_map_lookup_elem(names, &id, &v) != 0 || v.name[0] == '\0') break;
    if (zone == v.name) {
      const uint64_t cgroup_id = syva::cgroup_id_of(cgroup);
      if (bpf_map_update_elem(members, &cgroup_id, &id, BPF_ANY) != 0) {
        perror("syva-demo-zone: zone_membership");
        return 1;
      }
      printf("cgroup %s (id %llu) -> zone %s (id %u)\n", cgroup.c_str(), (unsigned long long)cgroup_id, zone.c_str(), id);
      return 0;
    }
  }
  fprintf(stderr, "syva-demo-zone: the agent at %s has no zone '%s'\n", pin.c_str(), zone.c_str());
  return 1;
}
