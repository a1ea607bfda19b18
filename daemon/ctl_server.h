/*
 * ctl_server.h: the control socket the havm CLI talks to (libqb IPC).
 * Only root and members of the haclient group may connect.
 */
#ifndef HAVMD_CTL_SERVER_H
#define HAVMD_CTL_SERVER_H

#include "havmd.h"

int ctl_server_start(struct havmd *h);
void ctl_server_stop(struct havmd *h);
/* Answer request ID on connection C: now, or later (a request answered
 * once the cluster has acted, for which the caller holds a reference on C). */
void ctl_send_reply(struct havmd *h, qb_ipcs_connection_t *c, uint32_t id, const uint8_t *body,
		    int len);
void ctl_reply_error(struct havmd *h, qb_ipcs_connection_t *c, uint32_t id, enum havm_status st,
		     const char *text);

#endif
