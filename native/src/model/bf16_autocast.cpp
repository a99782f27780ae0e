// Scoped bfloat16 autocast (model/bf16_autocast.hpp).
#include "model/bf16_autocast.hpp"

namespace muse::model {

Bf16Autocast::Bf16Autocast()
    : enabled_(at::autocast::is_cpu_enabled()),
      dtype_(at::autocast::get_autocast_cpu_dtype()),
      cache_(at::autocast::is_autocast_cache_enabled()) {
    at::autocast::set_autocast_cpu_dtype(at::kBFloat16);
    at::autocast::set_autocast_cache_enabled(false);
    at::autocast::set_cpu_enabled(true);
}

Bf16Autocast::~Bf16Autocast() {
    at::autocast::set_cpu_enabled(enabled_);
    at::autocast::set_autocast_cpu_dtype(dtype_);
    at::autocast::set_autocast_cache_enabled(cache_);
}

}  // namespace muse::model
