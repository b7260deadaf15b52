/* stream: the connection loop of the stream programs, behind serve(). */
#ifndef SOCKCLOCK_STREAM_H
#define SOCKCLOCK_STREAM_H

#include "activation.h"
#include "options.h"
#include "serve.h"

/* Write h's line to each connected socket of a and to each connection
 * accepted on its listening ones, close each politely, and return when
 * none is left and the listeners have been idle for o->idle_timeout;
 * the exit code. */
int stream_serve(const struct serve_handler *h, const struct act_sockets *a,
		 const struct opt_common *o);

#endif
