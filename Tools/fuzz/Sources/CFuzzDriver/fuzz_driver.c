// Hands the command line to libFuzzer's LLVMFuzzerRunDriver (in the runtime
// linked by -sanitize=fuzzer).
#include "fuzz_driver.h"

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *, size_t));

int fovea_fuzz_run(int argc, char **argv, fovea_fuzz_callback callback) {
    return LLVMFuzzerRunDriver(&argc, &argv, callback);
}
