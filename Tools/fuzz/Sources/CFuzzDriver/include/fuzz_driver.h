// libFuzzer's driver entry, for targets whose main is a Swift @main (SwiftPM
// names an executable's entry point itself, so libFuzzer's own main cannot be used).
#include <stddef.h>
#include <stdint.h>

typedef int (*fovea_fuzz_callback)(const uint8_t *data, size_t size);

/// Runs libFuzzer with the command line (corpus folders, -max_total_time=…) on `callback`.
int fovea_fuzz_run(int argc, char **argv, fovea_fuzz_callback callback);
