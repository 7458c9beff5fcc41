// The header must compile as C++ and be usable from it.
#include "ringpax.h"

#include <cstdio>

int main() {
    ringpax_ring *r = nullptr;
    if (ringpax_ring_new(160, &r) != RINGPAX_STATUS_OK) return 1;
    ringpax_ring_add_node(r, "a", 1, 1);
    size_t idx = 1;
    ringpax_status s = ringpax_ring_get(r, reinterpret_cast<const uint8_t *>("k"), 1, &idx, nullptr, 0, nullptr);
    ringpax_ring_free(r);
    std::printf("header_cpp: %s\n", s == RINGPAX_STATUS_OK && idx == 0 ? "ok" : "FAILED");
    return s == RINGPAX_STATUS_OK && idx == 0 ? 0 : 1;
}
