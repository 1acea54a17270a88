/* error.h: the project's error codes.
 *
 * Every fallible function returns 0 on success or one of these negative codes
 * (the libuv convention); results come back through out-parameters. Library
 * errors (LMDB, msgpack, ZeroMQ, libuv) are translated into these at the one
 * place each library is called from, so nothing above the storage layer ever
 * sees an MDB_* code. The HTTP layer maps them to status codes in one table. */
#ifndef LOTSBOK_ERROR_H
#define LOTSBOK_ERROR_H

enum lb_err {
    LB_OK = 0,
    LB_EINVAL = -1,     /* input fails validation (HTTP 422 / 400) */
    LB_ENOMEM = -2,     /* allocation failed */
    LB_ENOTFOUND = -3,  /* no such record (404) */
    LB_EEXIST = -4,     /* duplicate, e.g. orgnr already registered (409) */
    LB_ESTATE = -5,     /* transition the state does not allow (409) */
    LB_ESTALE = -6,     /* If-Match version is stale (412) */
    LB_ENOSPC = -7,     /* storage really full (507) */
    LB_EIO = -8,        /* I/O error from the storage layer (500) */
    LB_ECORRUPT = -9,   /* a stored or received encoding does not decode (500 / 400) */
    LB_EHOLD = -10,     /* legal hold prevents the operation (409) */
    LB_ETOOBIG = -11,   /* value over a limit (413 / 422) */
    LB_EMAPFULL = -12,  /* internal: the LMDB map must grow; never leaves the store */
    LB_EBUSY = -13,     /* resource busy, try again (503) */
    LB_EPERM = -14,     /* not allowed (403) */
    LB_EINTERNAL = -15, /* a bug or an unexpected library error (500) */
};

/* A short English description of an lb_err code; never NULL. */
const char *lb_strerror(int err);

#endif
