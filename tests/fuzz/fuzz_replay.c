/* fuzz_replay.c: libFuzzer target for the replay request decoder of the
 * publisher (lb_replay_request_parse, core/net/publisher.c).
 *
 * Frame 2 of ["replay", {"after": N, "limit": M}] arrives from any ZeroMQ
 * peer that can reach the ROUTER socket. Whatever it holds, the decoder must
 * answer 0 with a limit of at least 1, or LB_EINVAL with a message for the
 * client; it must never read past the frame. The frame is copied into a
 * buffer of exactly its size so that ASan sees any overread. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lotsbok/error.h"
#include "lotsbok/publisher.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *frame = malloc(size ? size : 1);
    if (!frame)
        return 0;
    memcpy(frame, data, size);
    uint64_t after = 0, limit = 0;
    const char *why = NULL;
    int rc = lb_replay_request_parse(frame, size, &after, &limit, &why);
    if (rc == 0 && (limit == 0 || why != NULL)) {
        fprintf(stderr, "fuzz_replay: accepted a request with limit 0 or a message\n");
        abort();
    }
    if (rc != 0 && (rc != LB_EINVAL || why == NULL || why[0] == '\0')) {
        fprintf(stderr, "fuzz_replay: refused without a message (rc %d)\n", rc);
        abort();
    }
    free(frame);
    return 0;
}
