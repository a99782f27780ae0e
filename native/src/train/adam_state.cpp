// Saving and restoring Adam's state by parameter name.
#include "train/adam_state.hpp"

#include <ATen/ATen.h>

#include "muse/errors.hpp"

namespace muse::train {
namespace {

// LibTorch keys an optimiser's state by the parameter's TensorImpl address.
std::string key_of(const at::Tensor& p) { return c10::guts::to_string(p.unsafeGetTensorImpl()); }

}  // namespace

std::map<std::string, at::Tensor> save_adam_state(const torch::optim::Adam& adam, const NamedParameters& params) {
    std::map<std::string, at::Tensor> out;
    const auto& state = adam.state();
    for (const auto& [name, p] : params) {
        const auto it = state.find(key_of(p));
        if (it == state.end()) continue;
        const auto& s = static_cast<const torch::optim::AdamParamState&>(*it->second);
        out[name + ".exp_avg"] = s.exp_avg().detach().clone();
        out[name + ".exp_avg_sq"] = s.exp_avg_sq().detach().clone();
        out[name + ".step"] = at::tensor(std::vector<std::int64_t>{s.step()}, at::kLong);
    }
    return out;
}

void restore_adam_state(torch::optim::Adam& adam, const NamedParameters& params,
                        const std::map<std::string, at::Tensor>& saved) {
    auto& state = adam.state();
    for (const auto& [name, p] : params) {
        const auto avg = saved.find(name + ".exp_avg");
        const auto sq = saved.find(name + ".exp_avg_sq");
        const auto step = saved.find(name + ".step");
        if (avg == saved.end() || sq == saved.end() || step == saved.end()) continue;
        if (!avg->second.sizes().equals(p.sizes()) || !sq->second.sizes().equals(p.sizes()) || step->second.numel() != 1) {
            throw CorruptFile("optimiser state of '" + name + "' has the wrong shape");
        }
        auto s = std::make_unique<torch::optim::AdamParamState>();
        s->step(step->second.item<std::int64_t>());
        s->exp_avg(avg->second.clone().to(p.scalar_type()));
        s->exp_avg_sq(sq->second.clone().to(p.scalar_type()));
        state[key_of(p)] = std::move(s);
    }
}

}  // namespace muse::train
