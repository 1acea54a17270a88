/* bench_search_size.c: the search index's size beside the text it indexes,
 * for `make bench` and `make bench-scale`.
 *
 *   bench_search_size DATA_DIR
 *
 * Prints one line, which bench/bench.py parses:
 *   text_bytes=T index_bytes=I postings=P ratio=R
 * T is the bytes of every indexed field of every company, case, contact and
 * hand-off (a case counts its company's name and locality too, as the index
 * does); I the pages of the search sub-database (lb_search_sizes: the main
 * tree's pages from mdb_stat, each long list's packed 12-byte postings in
 * whole pages); R = I / T. Read-only: safe beside a running lotsd. */
#include <stdio.h>

#include "lotsbok/store.h"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: bench_search_size DATA_DIR\n");
        return 2;
    }
    lb_store *s;
    struct lb_store_config cfg = {0};
    int rc = lb_store_open(argv[1], &cfg, &s);
    if (rc) {
        fprintf(stderr, "bench_search_size: cannot open %s: %d\n", argv[1], rc);
        return 1;
    }
    lb_txn *t;
    uint64_t text = 0, index = 0, postings = 0;
    if ((rc = lb_txn_read(s, &t)) == 0) {
        rc = lb_search_sizes(t, &text, &index, &postings);
        lb_txn_end(t);
    }
    lb_store_close(s);
    if (rc) {
        fprintf(stderr, "bench_search_size: %d\n", rc);
        return 1;
    }
    printf("text_bytes=%llu index_bytes=%llu postings=%llu ratio=%.3f\n", (unsigned long long)text,
           (unsigned long long)index, (unsigned long long)postings,
           text ? (double)index / (double)text : 0.0);
    return 0;
}
