/* test_curve.c: the loopback rule of the event sockets and the CURVE key files
 * (core/net/curve.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lotsbok/curve.h"
#include "lotsbok/error.h"

static void test_local_endpoints(void **state)
{
    (void)state;
    const char *local[] = {"tcp://127.0.0.1:7701", "tcp://127.0.0.1:*", "tcp://127.1.2.3:9",
                           "tcp://localhost:7701", "tcp://[::1]:7701",  "ipc:///run/lotsbok/pub",
                           "inproc://events",      "tcp://127.0.0.01:1"};
    const char *far[] = {"tcp://0.0.0.0:7701",
                         "tcp://*:7701",
                         "tcp://eth0:7701",
                         "tcp://lo:7701",
                         "tcp://10.0.0.1:7701",
                         "tcp://127.0.0:7701",
                         "tcp://127.0.0.256:7701",
                         "tcp://127.0.0.1.evil.org:7701",
                         "tcp://1270.0.0.1:7701",
                         "tcp://127.0.0.1;10.0.0.1:7701",
                         "tcp://127.0.0.1",
                         "tcp://[::]:7701",
                         "tcp://localhost.evil:1",
                         "pgm://eth0;239.192.1.1:5555",
                         "udp://127.0.0.1:7701",
                         "",
                         "tcp://",
                         "tcp://127..0.1:1"};
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++)
        if (!lb_endpoint_is_local(local[i]))
            fail_msg("%s should count as local", local[i]);
    for (size_t i = 0; i < sizeof far / sizeof far[0]; i++)
        if (lb_endpoint_is_local(far[i]))
            fail_msg("%s should not count as local", far[i]);
    assert_false(lb_endpoint_is_local(NULL));
}

static void write_text(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static void test_keys_round_trip_and_refusals(void **state)
{
    (void)state;
    if (!lb_curve_available())
        skip();
    char dir[] = "/tmp/lb-curve-XXXXXX", why[512], path[600];
    assert_non_null(mkdtemp(dir));
    assert_int_equal(lb_curve_keygen(dir, "worker", NULL, why, sizeof why), 0);
    assert_int_equal(lb_curve_keygen(dir, "erp", NULL, why, sizeof why), 0);
    assert_int_equal(lb_curve_keygen(dir, "server", NULL, why, sizeof why), LB_EINVAL);
    assert_int_equal(lb_curve_keygen(dir, "a/b", NULL, why, sizeof why), LB_EINVAL);

    struct lb_curve_server srv;
    struct lb_curve_client cli;
    assert_int_equal(lb_curve_server_load(dir, &srv, why, sizeof why), 0);
    assert_int_equal(srv.nclients, 2);
    assert_string_equal(srv.clients[0].name, "erp"); /* sorted */
    assert_int_equal(lb_curve_client_load(dir, "worker", &cli, why, sizeof why), 0);
    assert_memory_equal(cli.server_pub, srv.pub, LB_CURVE_KEY);
    assert_string_equal(lb_curve_server_client(&srv, cli.pub), "worker");
    assert_null(lb_curve_server_client(&srv, cli.server_pub));
    lb_curve_server_free(&srv);

    /* A secret key readable by others, a damaged key, a pair that does not match
     * (the secret key of the zmq_curve(7) example server with its client's public key). */
    snprintf(path, sizeof path, "%s/worker.key", dir);
    assert_int_equal(chmod(path, 0640), 0);
    assert_int_equal(lb_curve_client_load(dir, "worker", &cli, why, sizeof why), LB_EPERM);
    assert_non_null(strstr(why, "readable by others"));
    snprintf(path, sizeof path, "%s/clients/bad.pub", dir);
    write_text(path, "public-key = \"too short\"\n", 0600);
    assert_int_equal(lb_curve_server_load(dir, &srv, why, sizeof why), LB_EINVAL);
    assert_non_null(strstr(why, "bad.pub"));
    unlink(path);
    snprintf(path, sizeof path, "%s/server.key", dir);
    write_text(path,
               "curve\n    public-key = \"Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID\"\n"
               "    secret-key = \"JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6\"\n",
               0600);
    assert_int_equal(lb_curve_server_load(dir, &srv, why, sizeof why), LB_EINVAL);
    assert_non_null(strstr(why, "does not belong"));

    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_local_endpoints),
        cmocka_unit_test(test_keys_round_trip_and_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
