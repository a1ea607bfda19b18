/*
 * agent_run.h: run a fence agent (any program following the fence-agents
 * API) as havmd's "agent" device kind: options on stdin as key=value lines,
 * the action among them, never through a shell, with a time limit.
 * Blocking: havmd calls it from a worker child.
 */
#ifndef HAVM_FENCE_AGENT_RUN_H
#define HAVM_FENCE_AGENT_RUN_H

#include <stddef.h>

/*
 * Run PATH with ACTION and the N_ARGS "key=value" ARGS on stdin. Returns 0
 * with the agent's exit status in *EXIT_CODE, or -errno (-ETIMEDOUT: killed
 * after TIMEOUT_MS; others: could not start it) with a message in ERR.
 *
 * Nothing the agent starts outlives the call: the agent runs in the
 * caller's process group and dies with the caller (PR_SET_PDEATHSIG); the
 * caller becomes a child subreaper (PR_SET_CHILD_SUBREAPER) and, when the
 * agent ends or is killed, kills and reaps every child it has. So the
 * caller must be single-threaded and have no children of its own: a
 * worker child of havmd, or the havm command.
 */
int fence_agent_run(const char *path, const char (*args)[128], size_t n_args,
		    const char *action, unsigned timeout_ms, int *exit_code, char *err,
		    size_t errlen);

/*
 * A fence through an agent: "off" must exit 0, then "status" is polled
 * every POLL_MS until it exits 2 (off, per the API) within TIMEOUT_MS.
 * Only a verified off is success.
 */
int fence_agent_off_verified(const char *path, const char (*args)[128], size_t n_args,
			     unsigned timeout_ms, unsigned poll_ms, char *err, size_t errlen);

#endif
