/*
 * mini-smc: a stand-in for the smc-analyze workload with the same command
 * line subset, so the lab runs before (or without) the Rust binary:
 *   mini-smc ueid add NAME
 *   mini-smc server --port P [--tcp] [--count N] [--echo] [--ipv6]
 *   mini-smc client ADDR PORT [--size N] [--connections N] [--parallel]
 *                   [--expect-echo] [--abort-handshake] [--hold SECS]
 * Built statically on the host (lab/run with SMC_ANALYZE=mini).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef IPPROTO_SMC
#define IPPROTO_SMC 256
#endif
#define SMC_NETLINK_ADD_UEID 10
#define SMC_NLA_EID_TABLE_ENTRY 1
#define EID_LEN 32

static void die(const char *what)
{
	fprintf(stderr, "mini-smc: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* One generic netlink request; returns the kernel's ack error (0 = ok). */
static int genl_request(int fd, unsigned short family, unsigned char cmd, unsigned short attr,
			const void *val, unsigned short len, void *reply, size_t reply_len)
{
	char buf[256] = {0};
	struct nlmsghdr *nh = (void *)buf;
	struct genlmsghdr *gh = NLMSG_DATA(nh);
	struct nlattr *na = (void *)((char *)gh + GENL_HDRLEN);

	na->nla_type = attr;
	na->nla_len = NLA_HDRLEN + len;
	memcpy((char *)na + NLA_HDRLEN, val, len);
	gh->cmd = cmd;
	gh->version = 1;
	nh->nlmsg_type = family;
	nh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nh->nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN + NLA_ALIGN(na->nla_len));
	if (send(fd, buf, nh->nlmsg_len, 0) < 0)
		die("netlink send");
	ssize_t n = recv(fd, reply, reply_len, 0);
	if (n < 0)
		die("netlink recv");
	struct nlmsghdr *rh = reply;
	if (rh->nlmsg_type == NLMSG_ERROR)
		return ((struct nlmsgerr *)NLMSG_DATA(rh))->error;
	return 0;
}

static int ueid_add(const char *name)
{
	char eid[EID_LEN + 1], reply[4096];
	int fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_GENERIC);

	if (fd < 0)
		die("netlink socket");
	/* resolve the family id of SMC_GEN_NETLINK */
	if (genl_request(fd, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_NAME,
			 "SMC_GEN_NETLINK", sizeof("SMC_GEN_NETLINK"), reply, sizeof(reply)) != 0) {
		fprintf(stderr, "mini-smc: no SMC_GEN_NETLINK family (smc module loaded?)\n");
		return 1;
	}
	struct genlmsghdr *gh = NLMSG_DATA((struct nlmsghdr *)reply);
	struct nlattr *na = (void *)((char *)gh + GENL_HDRLEN);
	int left = ((struct nlmsghdr *)reply)->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	unsigned short family = 0;
	while (left >= NLA_HDRLEN && na->nla_len >= NLA_HDRLEN) {
		if (na->nla_type == CTRL_ATTR_FAMILY_ID)
			family = *(unsigned short *)((char *)na + NLA_HDRLEN);
		left -= NLA_ALIGN(na->nla_len);
		na = (void *)((char *)na + NLA_ALIGN(na->nla_len));
	}
	/* the EID entry is 32 characters, blank padded, plus a NUL */
	memset(eid, ' ', EID_LEN);
	memcpy(eid, name, strnlen(name, EID_LEN));
	eid[EID_LEN] = 0;
	int err = genl_request(fd, family, SMC_NETLINK_ADD_UEID, SMC_NLA_EID_TABLE_ENTRY, eid,
			       sizeof(eid), reply, sizeof(reply));
	if (err) {
		fprintf(stderr, "mini-smc: ADD_UEID %s: %s\n", name, strerror(-err));
		return 1;
	}
	printf("ueid added: %s\n", name);
	return 0;
}

static int make_addr(const char *host, int port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *a4 = (void *)ss;
	struct sockaddr_in6 *a6 = (void *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons(port);
		return sizeof(*a4);
	}
	if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons(port);
		return sizeof(*a6);
	}
	fprintf(stderr, "mini-smc: bad address %s\n", host);
	exit(2);
}

/* Echo (or just drain) one connection until the peer half-closes. */
static long serve_conn(int fd, int echo)
{
	char buf[16384];
	long total = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		total += n;
		for (ssize_t off = 0; echo && off < n;) {
			ssize_t w = write(fd, buf + off, n - off);
			if (w < 0)
				die("server write");
			off += w;
		}
	}
	shutdown(fd, SHUT_WR);
	close(fd);
	return total;
}

static int server(int port, int tcp, int count, int echo, int ipv6)
{
	struct sockaddr_storage ss;
	int len = make_addr(ipv6 ? "::" : "0.0.0.0", port, &ss);
	int one = 1, lfd = socket(ss.ss_family, SOCK_STREAM, tcp ? IPPROTO_TCP : IPPROTO_SMC);

	if (lfd < 0)
		die("socket");
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (void *)&ss, len) < 0 || listen(lfd, 64) < 0)
		die("bind/listen");
	printf("listening port=%d proto=%s\n", port, tcp ? "tcp" : "smc");
	fflush(stdout);
	for (int i = 1; count <= 0 || i <= count; i++) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			die("accept");
		pid_t pid = fork();
		if (pid == 0) {
			long n = serve_conn(fd, echo);
			printf("conn=%d received=%ld\n", i, n);
			exit(0);
		}
		close(fd);
	}
	while (wait(NULL) > 0)
		;
	return 0;
}

/* Send SIZE bytes, half-close, read the echo; poll so neither side blocks. */
static int client_conn(int id, struct sockaddr_storage *ss, int len, long size, int expect_echo,
		       int hold)
{
	int fd = socket(ss->ss_family, SOCK_STREAM, IPPROTO_SMC);
	char buf[16384];
	long sent = 0, got = 0;

	if (fd < 0)
		die("socket");
	if (connect(fd, (void *)ss, len) < 0)
		die("connect");
	if (hold)
		sleep(hold); /* idle connection, e.g. for TEST_LINK */
	for (long i = 0; i < (long)sizeof(buf); i++)
		buf[i] = (char)(i * 7 + id);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	struct pollfd p = {.fd = fd};
	int wdone = size == 0;
	if (wdone)
		shutdown(fd, SHUT_WR);
	for (;;) {
		p.events = POLLIN | (wdone ? 0 : POLLOUT);
		if (poll(&p, 1, 30000) <= 0)
			die("client poll timeout");
		if (p.revents & POLLOUT) {
			long chunk = size - sent < (long)sizeof(buf) ? size - sent : (long)sizeof(buf);
			ssize_t w = write(fd, buf, chunk);
			if (w < 0 && errno != EAGAIN)
				die("client write");
			sent += w > 0 ? w : 0;
			if (sent == size) {
				wdone = 1;
				shutdown(fd, SHUT_WR);
			}
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			char rb[16384];
			ssize_t r = read(fd, rb, sizeof(rb));
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r < 0)
				die("client read");
			if (r == 0)
				break;
			got += r;
		}
	}
	close(fd);
	printf("conn=%d sent=%ld received=%ld\n", id, sent, got);
	return expect_echo && got != sent;
}

/* Connect without blocking and reset the connection as soon as TCP is up,
 * while the CLC handshake is still running. */
static int abort_handshake(struct sockaddr_storage *ss, int len)
{
	struct linger lg = {.l_onoff = 1, .l_linger = 0};
	int fd = socket(ss->ss_family, SOCK_STREAM, IPPROTO_SMC);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (connect(fd, (void *)ss, len) < 0 && errno != EINPROGRESS)
		die("connect");
	struct timespec ts = {0, 20 * 1000 * 1000};
	nanosleep(&ts, NULL);
	close(fd);
	printf("conn=1 aborted\n");
	return 0;
}

static int client(int argc, char **argv)
{
	struct sockaddr_storage ss;
	long size = 0;
	int conns = 1, parallel = 0, expect = 0, abort_hs = 0, hold = 0, rc = 0;

	if (argc < 4)
		return 2;
	int len = make_addr(argv[2], atoi(argv[3]), &ss);
	for (int i = 4; i < argc; i++) {
		if (!strcmp(argv[i], "--size") && i + 1 < argc)
			size = atol(argv[++i]);
		else if (!strcmp(argv[i], "--connections") && i + 1 < argc)
			conns = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--hold") && i + 1 < argc)
			hold = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--parallel"))
			parallel = 1;
		else if (!strcmp(argv[i], "--expect-echo"))
			expect = 1;
		else if (!strcmp(argv[i], "--abort-handshake"))
			abort_hs = 1;
	}
	if (abort_hs)
		return abort_handshake(&ss, len);
	for (int i = 1; i <= conns; i++) {
		if (!parallel) {
			rc |= client_conn(i, &ss, len, size, expect, hold);
			continue;
		}
		if (fork() == 0)
			exit(client_conn(i, &ss, len, size, expect, hold));
	}
	int st;
	while (wait(&st) > 0)
		rc |= !WIFEXITED(st) || WEXITSTATUS(st);
	return rc;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 4 && !strcmp(argv[1], "ueid") && !strcmp(argv[2], "add"))
		return ueid_add(argv[3]);
	if (argc >= 2 && !strcmp(argv[1], "client"))
		return client(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "server")) {
		int port = 0, tcp = 0, count = 0, echo = 0, ipv6 = 0;
		for (int i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "--port") && i + 1 < argc)
				port = atoi(argv[++i]);
			else if (!strcmp(argv[i], "--count") && i + 1 < argc)
				count = atoi(argv[++i]);
			else if (!strcmp(argv[i], "--tcp"))
				tcp = 1;
			else if (!strcmp(argv[i], "--echo"))
				echo = 1;
			else if (!strcmp(argv[i], "--ipv6"))
				ipv6 = 1;
		}
		return server(port, tcp, count, echo, ipv6);
	}
	fprintf(stderr, "usage: see the comment at the top of lab/guest/mini-smc.c\n");
	return 2;
}
