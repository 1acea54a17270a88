/* wlog.c: logfmt lines on stderr (see wlog.h).
 *
 * Each line is formatted into one buffer and written with one fputs so that
 * lines from a crash-restart loop never interleave mid-line. The timestamp is
 * the wall clock (CLOCK_REALTIME), not lb_time_now(): logs must show when
 * things really happened even when LOTSBOK_NOW fixes business time. */
#include "wlog.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int g_verbose;

void lb_wlog_set_verbose(int verbose)
{
    g_verbose = verbose;
}

void lb_wlog(const char *level, const char *msg, const char *fmt, ...)
{
    if (!g_verbose && strcmp(level, "debug") == 0)
        return;
    char line[1024];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    int n =
        snprintf(line, sizeof line, "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s msg=\"%s\"",
                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                 ts.tv_nsec / 1000000L, level, msg);
    if (n < 0)
        return;
    if ((size_t)n < sizeof line - 2 && fmt != NULL) {
        line[n++] = ' ';
        va_list ap;
        va_start(ap, fmt);
        int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
        va_end(ap);
        if (m > 0)
            n += m;
    }
    if ((size_t)n > sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    line[n] = '\0';
    fputs(line, stderr);
}
