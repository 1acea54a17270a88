/* bench_http_hello.c: the HTTP server alone, for load tests.
 *
 * Serves {"status":"ok"} to every request on the address given (default
 * 127.0.0.1:8089) until SIGINT or SIGTERM, then stops gracefully. Measure with
 *   wrk -t2 -c64 -d5s http://127.0.0.1:8089/ */
#include <signal.h>
#include <stdio.h>

#include "lotsbok/http_server.h"

static uv_signal_t sigint, sigterm;

static void handler(lb_http_req *req, void *arg)
{
    static const char ok[] = "{\"status\":\"ok\"}";
    lb_http_respond(req, 200, "application/json", NULL, ok, sizeof(ok) - 1);
}

static void stopped(void *arg)
{
    uv_close((uv_handle_t *)&sigint, NULL);
    uv_close((uv_handle_t *)&sigterm, NULL);
}

static void on_signal(uv_signal_t *sig, int signum)
{
    lb_http_server *s = sig->data;
    uv_signal_stop(&sigint);
    uv_signal_stop(&sigterm);
    lb_http_server_stop(s, stopped, NULL);
}

int main(int argc, char **argv)
{
    const char *listen = argc > 1 ? argv[1] : "127.0.0.1:8089";
    uv_loop_t *loop = uv_default_loop();
    lb_http_server *s;
    int rc = lb_http_server_start(loop, listen, NULL, handler, NULL, &s);
    if (rc < 0) {
        fprintf(stderr, "level=error msg=\"cannot listen\" addr=\"%s\" rc=%d\n", listen, rc);
        uv_run(loop, UV_RUN_DEFAULT);
        return 1;
    }
    fprintf(stderr, "level=info msg=\"listening\" port=%d\n", lb_http_server_port(s));
    if (uv_signal_init(loop, &sigint) < 0 || uv_signal_init(loop, &sigterm) < 0)
        return 1;
    sigint.data = sigterm.data = s;
    if (uv_signal_start(&sigint, on_signal, SIGINT) < 0 ||
        uv_signal_start(&sigterm, on_signal, SIGTERM) < 0)
        return 1;
    uv_run(loop, UV_RUN_DEFAULT);
    return uv_loop_close(loop) == 0 ? 0 : 1;
}
