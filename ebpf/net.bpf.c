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
 * [network]: where a zoned process may send over IPv4/IPv6. Another zone's
 * pod address: only for an allowed pair; else host: the node's business,
 * not restricted. isolated: loopback only. bridged: loopback and the zone's
 * allowed_egress (longest prefix, then port). connect() is judged
 * once per connection; sendmsg() only when it names a destination (sendto
 * on an unconnected socket), so the data path of a connection costs one
 * pointer test.
 */

/* The node's network namespace (its nsfs inode number), set by the agent
 * before the load; 0 when it could not tell. */
const volatile __u32 node_netns_ino = 0;

/* Protocols whose destination has a port. Elsewhere (raw IP, ping, ...)
 * the sockaddr's port field is not a port: the protocol number for raw
 * IPv6, ignored by the others. */
static __always_inline int has_ports(__u16 protocol)
{
	return protocol == IPPROTO_TCP || protocol == IPPROTO_UDP || protocol == IPPROTO_UDPLITE ||
	       protocol == IPPROTO_DCCP || protocol == IPPROTO_SCTP || protocol == IPPROTO_MPTCP;
}

/*
 * Reads the destination into t (IPv4 as ::ffff:a.b.c.d); 0 when the call
 * names no IP destination. The socket's family decides how the address is
 * read, not the family the caller wrote into it: udp_sendmsg, raw_sendmsg
 * and l2tp take AF_UNSPEC as AF_INET, raw IPv6 takes it as AF_INET6, and a
 * family the kernel refuses is judged all the same (the caller gets EPERM
 * rather than EAFNOSUPPORT). UDPv6 alone reads AF_UNSPEC as "no address":
 * the datagram goes to the connected peer, judged at connect().
 */
static __always_inline int read_destination(struct sock *sk, struct sockaddr *address, struct syva_target *t)
{
	__u16 sock_family = BPF_CORE_READ(sk, __sk_common.skc_family);
	__u16 family = BPF_CORE_READ(address, sa_family);

	if (sock_family != AF_INET && sock_family != AF_INET6)
		return 0;
	if (sock_family == AF_INET6 && family == AF_UNSPEC && BPF_CORE_READ(sk, sk_type) != SOCK_RAW)
		return 0;
	if (sock_family == AF_INET || family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)address;
		__u32 ip = BPF_CORE_READ(sin, sin_addr.s_addr);

		t->addr[10] = 0xff;
		t->addr[11] = 0xff;
		__builtin_memcpy(&t->addr[12], &ip, 4);
		t->port = bpf_ntohs(BPF_CORE_READ(sin, sin_port));
		t->family = AF_INET;
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)address;

		if (bpf_probe_read_kernel(t->addr, sizeof(t->addr), &sin6->sin6_addr))
			return -1;
		t->port = bpf_ntohs(BPF_CORE_READ(sin6, sin6_port));
		t->family = AF_INET6;
	}
	if (BPF_CORE_READ(sk, sk_type) == SOCK_RAW || !has_ports(BPF_CORE_READ(sk, sk_protocol)))
		t->port = 0;
	return 1;
}

/* 127.0.0.0/8, ::1, and the unspecified address, which connect() and
 * sendto() take to mean this host (the kernel routes it over loopback). */
static __always_inline int is_loopback(const __u8 *a)
{
	int i, v4 = a[10] == 0xff && a[11] == 0xff;

	for (i = 0; i < 10; i++)
		if (a[i])
			return 0;
	if (v4)
		return a[12] == 127 || !(a[12] | a[13] | a[14] | a[15]);
	if (a[10] || a[11] || a[12] || a[13] || a[14])
		return 0;
	return a[15] <= 1; /* ::1, :: */
}

/*
 * Loopback is the pod's own when its socket lives in a network namespace of
 * its own; in the node's (hostNetwork) it is every node daemon's, and judged
 * like any other address.
 */
static __always_inline int own_loopback(struct sock *sk, const struct syva_target *t)
{
	if (!is_loopback(t->addr))
		return 0;
	if (!node_netns_ino)
		return 1;
	return BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum) != node_netns_ino;
}

/* A destination without a port (raw IP, ping) matches only a prefix that
 * allows every port. */
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
	if (!t->port)
		return 0;
	for (i = 0; i < SYVA_EGRESS_PORTS; i++)
		if (i < allowed->count && allowed->ports[i] == t->port)
			return 1;
	return 0;
}

static __always_inline int decide_egress(enum syva_hook hook, struct socket *sock, struct sockaddr *address)
{
	__u64 cgroup;
	__u32 caller = current_zone(&cgroup);
	struct syva_zone_policy *policy;
	struct syva_target t = {};
	struct sock *sk;
	__u32 *target;
	int ip;

	if (caller == SYVA_ZONE_NONE || !address)
		return 0;
	/* connect() with AF_UNSPEC disconnects (inet_stream_connect,
	 * inet_dgram_connect): no destination. */
	if (hook == SYVA_HOOK_SOCKET_CONNECT && BPF_CORE_READ(address, sa_family) == AF_UNSPEC)
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk) {
		count(hook, SYVA_ERROR);
		return 0;
	}
	ip = read_destination(sk, address, &t);
	if (ip == 0)
		return 0;
	if (ip < 0) {
		count(hook, SYVA_ERROR);
		return 0;
	}
	/* Another zone's pod: the pair decides, in every mode and whatever
	 * allowed_egress says; the zone's own pods are its own. */
	target = bpf_map_lookup_elem(&address_zone, t.addr);
	if (target && *target != SYVA_ZONE_NONE)
		return decide(SYVA_HOOK_ZONE_ADDRESS, caller, cgroup, *target, &t);
	policy = zone_policy_of(caller);
	if ((policy && policy->network_mode == SYVA_NET_HOST) || own_loopback(sk, &t) ||
	    (policy && policy->network_mode != SYVA_NET_ISOLATED && egress_allowed(caller, &t))) {
		count(hook, SYVA_ALLOW);
		return 0;
	}
	return refuse(hook, caller, cgroup, caller, &t);
}

SEC("lsm/socket_connect")
int BPF_PROG(syva_socket_connect, struct socket *sock, struct sockaddr *address, int addrlen)
{
	return decide_egress(SYVA_HOOK_SOCKET_CONNECT, sock, address);
}

SEC("lsm/socket_sendmsg")
int BPF_PROG(syva_socket_sendmsg, struct socket *sock, struct msghdr *msg, int size)
{
	return decide_egress(SYVA_HOOK_SOCKET_SENDMSG, sock, (struct sockaddr *)msg->msg_name);
}

/*
 * Sockets that write their own packets (raw IP: any header with
 * IP_HDRINCL, and every packet of its protocol read; AF_PACKET and AF_XDP:
 * whole frames) go around destination rules, so only a zone in host mode
 * may make them. Ping sockets (SOCK_DGRAM, IPPROTO_ICMP/ICMPV6) are not
 * raw: their destinations are judged, as addresses without ports.
 * Sockets the kernel makes for itself (kern) are not the caller's.
 */
SEC("lsm/socket_create")
int BPF_PROG(syva_socket_create, int family, int type, int protocol, int kern)
{
	__u64 cgroup;
	__u32 caller = current_zone(&cgroup);
	struct syva_zone_policy *policy;
	struct syva_target t = {};

	if (caller == SYVA_ZONE_NONE || kern)
		return 0;
	if (family != AF_PACKET && family != AF_XDP &&
	    !((family == AF_INET || family == AF_INET6) && (type & 0xf) == SOCK_RAW)) {
		count(SYVA_HOOK_SOCKET_CREATE, SYVA_ALLOW);
		return 0;
	}
	policy = zone_policy_of(caller);
	if (policy && policy->network_mode == SYVA_NET_HOST) {
		count(SYVA_HOOK_SOCKET_CREATE, SYVA_ALLOW);
		return 0;
	}
	t.family = family;
	t.aux = type;
	t.port = protocol;
	return refuse(SYVA_HOOK_SOCKET_CREATE, caller, cgroup, caller, &t);
}

/*
 * Inbound: what reaches a zone's sockets. Judged where a peer is new to the
 * socket: a connection request at a listening socket, a datagram at an
 * unconnected one. A connected socket's peer was judged already (at the
 * listener, or by connect() on the way out), so the data path of a
 * connection costs the zone lookup and one state read.
 *
 * The sender is known by the packet's source address only: between network
 * namespaces (veth) and over loopback the kernel drops the sending socket
 * from the packet. Another zone's pod address: the pair decides. The node's
 * addresses (address_zone entries of SYVA_ZONE_NONE) and loopback in the
 * node's network namespace: [network] accept_from_node. Loopback in the
 * pod's own namespace: its own. Any other source (another node, outside the
 * cluster): bridged admits it, isolated does not. host mode: not restricted.
 */
static __always_inline int read_source(struct sk_buff *skb, struct syva_target *t)
{
	unsigned char *header = BPF_CORE_READ(skb, head) + BPF_CORE_READ(skb, network_header);
	__u8 version;

	if (bpf_probe_read_kernel(&version, 1, header))
		return -1;
	switch (version >> 4) {
	case 4:
		t->addr[10] = 0xff;
		t->addr[11] = 0xff;
		if (bpf_probe_read_kernel(&t->addr[12], 4, header + 12))
			return -1;
		t->family = AF_INET;
		return 1;
	case 6:
		if (bpf_probe_read_kernel(t->addr, 16, header + 8))
			return -1;
		t->family = AF_INET6;
		return 1;
	}
	return 0;
}

SEC("lsm/socket_sock_rcv_skb")
int BPF_PROG(syva_socket_sock_rcv_skb, struct sock *sk, struct sk_buff *skb)
{
	__u64 cgroup = sock_cgroup_id(sk);
	__u32 zone = cgroup ? zone_of_cgroup(cgroup) : SYVA_ZONE_NONE;
	struct syva_zone_policy *policy;
	struct syva_target t = {};
	__u16 family;
	__u8 state;
	__u32 *owner;
	int ip, from_node;

	if (zone == SYVA_ZONE_NONE)
		return 0;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if (family != AF_INET && family != AF_INET6)
		return 0;
	state = BPF_CORE_READ(sk, __sk_common.skc_state);
	if (state != TCP_LISTEN && state != TCP_CLOSE)
		return 0;
	ip = read_source(skb, &t);
	if (ip == 0)
		return 0;
	if (ip < 0) {
		count(SYVA_HOOK_ZONE_INBOUND, SYVA_ERROR);
		return 0;
	}
	/* The event names the receiving port; the sender is the address. */
	t.port = BPF_CORE_READ(sk, __sk_common.skc_num);
	policy = zone_policy_of(zone);
	if (policy && policy->network_mode == SYVA_NET_HOST) {
		count(SYVA_HOOK_ZONE_INBOUND, SYVA_ALLOW);
		return 0;
	}
	owner = bpf_map_lookup_elem(&address_zone, t.addr);
	if (owner && *owner != SYVA_ZONE_NONE)
		return decide(SYVA_HOOK_ZONE_INBOUND, zone, cgroup, *owner, &t);
	if (own_loopback(sk, &t)) {
		count(SYVA_HOOK_ZONE_INBOUND, SYVA_ALLOW);
		return 0;
	}
	/* Here loopback is the node's: the pod shares its network namespace. */
	from_node = owner || is_loopback(t.addr);
	if (policy && (from_node ? policy->flags & SYVA_ZONE_F_FROM_NODE : policy->network_mode == SYVA_NET_BRIDGED)) {
		count(SYVA_HOOK_ZONE_INBOUND, SYVA_ALLOW);
		return 0;
	}
	return refuse(SYVA_HOOK_ZONE_INBOUND, zone, cgroup, SYVA_ZONE_NONE, &t);
}
