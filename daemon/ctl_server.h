/*
 * ctl_server.h: the control socket the havm CLI talks to (libqb IPC).
 * Only root and members of the haclient group may connect.
 */
#ifndef HAVMD_CTL_SERVER_H
#define HAVMD_CTL_SERVER_H

#include "havmd.h"

int ctl_server_start(struct havmd *h);
void ctl_server_stop(struct havmd *h);

#endif
