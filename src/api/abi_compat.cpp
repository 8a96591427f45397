// Binary compatibility with programs compiled against version 0.1.0 of tare.h, where every tare_X_init was a
// function.  tare.h now makes these names macros over tare_X_init_sized(p, sizeof(*p)), so that the size comes from
// the caller; the old symbols stay exported (removing them would break compiled callers within ABI version 1) and
// write the struct as it was in 0.1.0: up to the end of its last field of that version, whatever the struct has
// grown to since.  tests/exports_test.sh checks that every macro's old name is still exported.
#include <cstddef>

#include "tare/tare.h"

// The 0.1.0 size of T: the end of its last field of that version.  Never change the field named here when the
// struct grows.
#define TARE_V010_SIZE(T, last_field) (offsetof(T, last_field) + sizeof(T::last_field))

#undef tare_device_info_init
#undef tare_context_options_init
#undef tare_tensor_info_init
#undef tare_op_info_init
#undef tare_session_options_init
#undef tare_memory_report_init
#undef tare_quantize_options_init
#undef tare_quantize_report_init
#undef tare_ibc_options_init
#undef tare_ibc_report_init
#undef tare_analyze_options_init
#undef tare_bft_options_init
#undef tare_bft_report_init
#undef tare_equalize_options_init
#undef tare_equalize_report_init

#define TARE_LEGACY_INIT(T, last_field)                                 \
  TARE_API void T##_init(T* p);                                         \
  TARE_API void T##_init(T* p) { T##_init_sized(p, TARE_V010_SIZE(T, last_field)); }

extern "C" {

TARE_LEGACY_INIT(tare_device_info, device_local_bytes)
TARE_LEGACY_INIT(tare_context_options, pipeline_cache_size)
TARE_LEGACY_INIT(tare_tensor_info, num_scales)
TARE_LEGACY_INIT(tare_op_info, macs)
TARE_LEGACY_INIT(tare_session_options, profiling)
TARE_LEGACY_INIT(tare_memory_report, staging_bytes)
TARE_LEGACY_INIT(tare_quantize_options, user_data)
TARE_LEGACY_INIT(tare_quantize_report, calibration_ms)
TARE_LEGACY_INIT(tare_ibc_options, user_data)
TARE_LEGACY_INIT(tare_ibc_report, wall_ms)
TARE_LEGACY_INIT(tare_analyze_options, user_data)
TARE_LEGACY_INIT(tare_bft_options, user_data)
TARE_LEGACY_INIT(tare_bft_report, wall_ms)
TARE_LEGACY_INIT(tare_equalize_options, max_iterations)
TARE_LEGACY_INIT(tare_equalize_report, relu6_replaced)

}  // extern "C"
