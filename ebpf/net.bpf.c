// SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0)
/*
 * Sockets: may the caller connect or send to a Unix socket made in another
 * zone; and [network]: where a zoned process may send over IPv4/IPv6.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "syva_decide.bpf.h"

static __always_inline int decide_sock(enum syva_hook hook, struct sock *peer)
{
	__u64 cgroup;
	__u32 caller = current_zone(&cgroup);
	struct syva_target t = {};

	if (caller == SYVA_ZONE_NONE)
		return 0;
	t.cgroup = peer ? sock_cgroup_id(peer) : 0;
	if (!t.cgroup) {
		count(hook, SYVA_ERROR);
		return 0;
	}
	return decide(hook, caller, cgroup, zone_of_cgroup(t.cgroup), &t);
}

SEC("lsm/unix_stream_connect")
int BPF_PROG(syva_unix_stream_connect, struct sock *sock, struct sock *other, struct sock *newsk)
{
	return decide_sock(SYVA_HOOK_UNIX_CONNECT, other);
}

SEC("lsm/unix_may_send")
int BPF_PROG(syva_unix_may_send, struct socket *sock, struct socket *other)
{
	return decide_sock(SYVA_HOOK_UNIX_SEND, BPF_CORE_READ(other, sk));
}

/*
 * [network]: where a zoned process may send over IPv4/IPv6. host: the node's
 * business, not restricted. isolated: loopback only. bridged: loopback and
 * the zone's allowed_egress (longest prefix, then port). connect() is judged
 * once per connection; sendmsg() only when it names a destination (sendto
 * on an unconnected socket), so the data path of a connection costs one
 * pointer test.
 */
/* Reads the destination into t (IPv4 as ::ffff:a.b.c.d); 0 if not IP. */
static __always_inline int read_destination(struct sockaddr *address, struct syva_target *t)
{
	__u16 family = BPF_CORE_READ(address, sa_family);

	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)address;
		__u32 ip = BPF_CORE_READ(sin, sin_addr.s_addr);

		t->addr[10] = 0xff;
		t->addr[11] = 0xff;
		__builtin_memcpy(&t->addr[12], &ip, 4);
		t->port = bpf_ntohs(BPF_CORE_READ(sin, sin_port));
	} else if (family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)address;

		if (bpf_probe_read_kernel(t->addr, sizeof(t->addr), &sin6->sin6_addr))
			return -1;
		t->port = bpf_ntohs(BPF_CORE_READ(sin6, sin6_port));
	} else {
		return 0;
	}
	t->family = family;
	return 1;
}

static __always_inline int is_loopback(const __u8 *a)
{
	int i, v4 = a[10] == 0xff && a[11] == 0xff;

	for (i = 0; i < 10; i++)
		if (a[i])
			return 0;
	if (v4)
		return a[12] == 127;
	if (a[10] || a[11] || a[12] || a[13] || a[14])
		return 0;
	return a[15] == 1; /* ::1 */
}

static __always_inline int egress_allowed(__u32 zone, const struct syva_target *t)
{
	struct syva_egress_key key = { .prefixlen = 32 + 128, .zone = zone };
	struct syva_egress_ports *allowed;
	int i;

	__builtin_memcpy(key.addr, t->addr, sizeof(key.addr));
	allowed = bpf_map_lookup_elem(&egress_rules, &key);
	if (!allowed)
		return 0;
	if (allowed->any)
		return 1;
	for (i = 0; i < SYVA_EGRESS_PORTS; i++)
		if (i < allowed->count && allowed->ports[i] == t->port)
			return 1;
	return 0;
}

static __always_inline int decide_egress(enum syva_hook hook, struct sockaddr *address)
{
	__u64 cgroup;
	__u32 caller = current_zone(&cgroup);
	struct syva_zone_policy *policy;
	struct syva_target t = {};
	int ip;

	if (caller == SYVA_ZONE_NONE || !address)
		return 0;
	ip = read_destination(address, &t);
	if (ip == 0)
		return 0;
	if (ip < 0) {
		count(hook, SYVA_ERROR);
		return 0;
	}
	policy = zone_policy_of(caller);
	if ((policy && policy->network_mode == SYVA_NET_HOST) || is_loopback(t.addr) ||
	    (policy && policy->network_mode != SYVA_NET_ISOLATED && egress_allowed(caller, &t))) {
		count(hook, SYVA_ALLOW);
		return 0;
	}
	return refuse(hook, caller, cgroup, caller, &t);
}

SEC("lsm/socket_connect")
int BPF_PROG(syva_socket_connect, struct socket *sock, struct sockaddr *address, int addrlen)
{
	return decide_egress(SYVA_HOOK_SOCKET_CONNECT, address);
}

SEC("lsm/socket_sendmsg")
int BPF_PROG(syva_socket_sendmsg, struct socket *sock, struct msghdr *msg, int size)
{
	return decide_egress(SYVA_HOOK_SOCKET_SENDMSG, (struct sockaddr *)msg->msg_name);
}
