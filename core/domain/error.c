/* error.c: descriptions of the project's error codes (error.h).
 *
 * The codes themselves are the contract; these strings are for logs and
 * developer-facing messages (English), not for end users. */
#include "lotsbok/error.h"

const char *lb_strerror(int err)
{
    switch (err) {
    case LB_OK:
        return "success";
    case LB_EINVAL:
        return "invalid input";
    case LB_ENOMEM:
        return "out of memory";
    case LB_ENOTFOUND:
        return "not found";
    case LB_EEXIST:
        return "already exists";
    case LB_ESTATE:
        return "not allowed in the current state";
    case LB_ESTALE:
        return "version is stale";
    case LB_ENOSPC:
        return "storage full";
    case LB_EIO:
        return "I/O error";
    case LB_ECORRUPT:
        return "corrupt encoding";
    case LB_EHOLD:
        return "legal hold prevents the operation";
    case LB_ETOOBIG:
        return "value over a limit";
    case LB_EMAPFULL:
        return "database map full";
    case LB_EBUSY:
        return "busy, try again";
    case LB_EPERM:
        return "not allowed";
    case LB_EINTERNAL:
        return "internal error";
    default:
        return "unknown error";
    }
}
