/*
 * ipc_hold: a test tool that opens many connections to havmd's control
 * socket and holds them without sending a request, as a careless or hostile
 * local user would, to prove havmd bounds what they cost.
 *
 *   ipc_hold qb|raw COUNT SECONDS
 *
 * qb: COUNT libqb client connections (authenticated, then idle); raw: COUNT
 * plain connects to the socket that never authenticate. Prints one line
 * "ipc_hold: mode=M opened=N refused=N" (refused: the connect failed or the
 * socket was closed at once), holds what it opened for SECONDS (or until
 * SIGTERM), then prints "ipc_hold: still_open=N" (sockets havmd has not
 * closed) and exits 0.
 */
#include <errno.h>
#include <poll.h>
#include <qb/qbipcc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

static int raw_connect(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	/* libqb's sockets are abstract: "\0" + the service name, padded with
	 * NULs to the whole sun_path (libqb binds with the full length). */
	memcpy(a.sun_path + 1, "havm", 4);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Still open: not hung up by the other side. */
static int is_open(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, 0) <= 0)
		return 1;
	if (p.revents & (POLLHUP | POLLERR))
		return 0;
	return recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) != 0;
}

int main(int argc, char **argv)
{
	int raw, count, secs, opened = 0, refused = 0, open_now = 0;
	qb_ipcc_connection_t **qc;
	int *fds;

	if (argc != 4 || (strcmp(argv[1], "qb") && strcmp(argv[1], "raw"))) {
		fprintf(stderr, "usage: ipc_hold qb|raw COUNT SECONDS\n");
		return 2;
	}
	raw = !strcmp(argv[1], "raw");
	count = atoi(argv[2]);
	secs = atoi(argv[3]);
	if (count <= 0 || count > 100000 || secs < 0)
		return 2;
	qc = calloc((size_t)count, sizeof(*qc));
	fds = calloc((size_t)count, sizeof(*fds));
	if (!qc || !fds)
		return 1;
	signal(SIGTERM, on_term);
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < count; i++) {
		fds[i] = -1;
		if (raw) {
			fds[i] = raw_connect();
		} else {
			qc[i] = qb_ipcc_connect("havm", 65536);
			if (qc[i] && qb_ipcc_fd_get(qc[i], &fds[i]) != 0)
				fds[i] = -1;
		}
		if (fds[i] < 0) {
			refused++;
			continue;
		}
		opened++;
	}
	/* A raw socket refused after the connect is closed by havmd at once. */
	if (raw) {
		usleep(200000);
		for (int i = 0; i < count; i++)
			if (fds[i] >= 0 && !is_open(fds[i])) {
				opened--;
				refused++;
				close(fds[i]);
				fds[i] = -1;
			}
	}
	printf("ipc_hold: mode=%s opened=%d refused=%d\n", argv[1], opened, refused);
	fflush(stdout);
	for (time_t end = time(NULL) + secs; !stop && time(NULL) < end;)
		usleep(100000);
	for (int i = 0; i < count; i++)
		if (fds[i] >= 0 && (raw ? is_open(fds[i]) : qb_ipcc_is_connected(qc[i])))
			open_now++;
	printf("ipc_hold: still_open=%d\n", open_now);
	return 0;
}
