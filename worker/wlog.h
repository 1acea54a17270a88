/* wlog.h: logfmt lines on stderr for lots-worker.
 *
 * One line per call: `ts=2026-03-14T09:30:00Z level=info msg="applied" seq=42`.
 * The caller passes the key=value tail already formatted (printf-style); values
 * that may hold spaces are quoted by the caller with %s inside "...". */
#ifndef LOTSBOK_WORKER_WLOG_H
#define LOTSBOK_WORKER_WLOG_H

#if defined(__GNUC__)
#define LB_WLOG_FORMAT __attribute__((format(printf, 3, 4)))
#else
#define LB_WLOG_FORMAT
#endif

/* level: "debug", "info", "warn", "error". fmt may be NULL for no tail. */
void lb_wlog(const char *level, const char *msg, const char *fmt, ...) LB_WLOG_FORMAT;

/* 0 shows info and above (the default), 1 also debug. */
void lb_wlog_set_verbose(int verbose);

#endif
