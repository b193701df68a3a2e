/* lwIP's configuration for mica's network console: no OS (NO_SYS=1, the raw
 * API, called from one soft timer of the hypervisor), IPv4 with ARP, ICMP
 * (ping), UDP, TCP and DHCP, and static pools sized for one console session
 * plus a few connections being refused.  Everything lwIP allocates comes
 * from arrays in .bss: no heap, no libc. */
#ifndef MICA_LWIPOPTS_H
#define MICA_LWIPOPTS_H

#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0 /* one caller at a time, under net_lock */
#define LWIP_TIMERS 1
#define LWIP_SOCKET 0
#define LWIP_NETCONN 0
#define LWIP_NETIF_API 0
#define LWIP_ALTCP 0

#define LWIP_IPV4 1
#define LWIP_IPV6 0
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 1
#define DHCP_DOES_ARP_CHECK 0 /* saves a second of waiting per lease */
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 0
#define LWIP_SINGLE_NETIF 1
#define LWIP_NETIF_HOSTNAME 1
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_HAVE_LOOPIF 0
#define IP_REASSEMBLY 0 /* console traffic never needs fragments */
#define IP_FRAG 0

/* Memory: lwIP's heap (for outgoing pbufs) and its pools, all static. */
#define MEM_ALIGNMENT 8
#define MEM_SIZE (48 * 1024)
#define MEMP_NUM_PBUF 16
#define PBUF_POOL_SIZE 24
#define PBUF_POOL_BUFSIZE 1536
#define MEMP_NUM_UDP_PCB 2
/* One session, the listener's refusals in flight and TIME_WAITs. */
#define MEMP_NUM_TCP_PCB 6
#define MEMP_NUM_TCP_PCB_LISTEN 1
#define MEMP_NUM_TCP_SEG 32
#define ARP_QUEUEING 1 /* what is sent before the peer answers ARP waits for it */
#define MEMP_NUM_ARP_QUEUE 24

#define TCP_MSS 1460
#define TCP_WND (4 * TCP_MSS)
#define TCP_SND_BUF (8 * TCP_MSS)
#define TCP_SND_QUEUELEN 32
#define TCP_LISTEN_BACKLOG 1
#define TCP_DEFAULT_LISTEN_BACKLOG 2
#define LWIP_TCP_KEEPALIVE 1 /* a peer that vanished is found out */
#define TCP_QUEUE_OOSEQ 0    /* out-of-order segments are resent anyway */
#define LWIP_CALLBACK_API 1

#define LWIP_CHKSUM_ALGORITHM 3
#define LWIP_STATS 0
#define LWIP_DEBUG 0
#define LWIP_PROVIDE_ERRNO 0
#define LWIP_ERRNO_STDINCLUDE 0

#endif
