// load_weights / weights_of / init_untrained over a module's named parameters and buffers.
#include "model/weights.hpp"

#include <cmath>
#include <sstream>
#include <vector>

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include "muse/errors.hpp"

namespace muse::model {
namespace {

std::string shape_str(at::IntArrayRef s) {
    std::ostringstream o;
    o << "[";
    for (std::size_t i = 0; i < s.size(); ++i) o << (i ? ", " : "") << s[i];
    o << "]";
    return o.str();
}

void list_section(std::ostringstream& out, const char* title, const std::vector<std::string>& items) {
    if (items.empty()) return;
    constexpr std::size_t kShown = 12;
    out << "\n  " << title << " (" << items.size() << "):";
    for (std::size_t i = 0; i < items.size() && i < kShown; ++i) out << "\n    " << items[i];
    if (items.size() > kShown) out << "\n    ... and " << items.size() - kShown << " more";
}

}  // namespace

NamedTensors weights_of(const torch::nn::Module& net) {
    NamedTensors out;
    for (const auto& p : net.named_parameters(true)) out[p.key()] = p.value();
    for (const auto& b : net.named_buffers(true)) out[b.key()] = b.value();
    return out;
}

NamedTensors copy_weights_of(const torch::nn::Module& net) {
    NamedTensors copy;
    for (const auto& [name, t] : weights_of(net)) copy[name] = t.detach().clone();
    return copy;
}

NamedTensors take_prefixed(NamedTensors& all, const std::string& prefix) {
    NamedTensors taken;
    for (auto it = all.begin(); it != all.end();) {
        if (it->first.compare(0, prefix.size(), prefix) == 0) {
            taken.emplace(it->first.substr(prefix.size()), std::move(it->second));
            it = all.erase(it);
        } else {
            ++it;
        }
    }
    return taken;
}

void put_prefixed(NamedTensors& all, const NamedTensors& named, const std::string& prefix) {
    for (const auto& [name, t] : named) all[prefix + name] = t;
}

std::int64_t count_parameters(const torch::nn::Module& net) {
    std::int64_t n = 0;
    for (const auto& p : net.parameters(true)) n += p.numel();
    return n;
}

void load_weights(torch::nn::Module& net, const NamedTensors& weights, const std::string& what,
                  const std::string& may_be_missing) {
    NamedTensors expected = weights_of(net);
    std::vector<std::string> missing, unexpected, misshaped;
    for (const auto& [name, t] : expected) {
        auto it = weights.find(name);
        if (it == weights.end()) {
            const bool optional = !may_be_missing.empty() && name.compare(0, may_be_missing.size(), may_be_missing) == 0;
            if (!optional) missing.push_back(name + " " + shape_str(t.sizes()));
        } else if (it->second.sizes() != t.sizes()) {
            misshaped.push_back(name + ": got " + shape_str(it->second.sizes()) + ", expected " + shape_str(t.sizes()));
        }
    }
    for (const auto& [name, t] : weights) {
        if (!expected.count(name)) unexpected.push_back(name + " " + shape_str(t.sizes()));
    }
    if (!missing.empty() || !unexpected.empty() || !misshaped.empty()) {
        std::ostringstream msg;
        msg << "the weights do not fit " << what << ": " << missing.size() << " missing, " << unexpected.size()
            << " unexpected, " << misshaped.size() << " misshaped (of " << expected.size() << " expected, "
            << weights.size() << " given)";
        list_section(msg, "missing", missing);
        list_section(msg, "unexpected", unexpected);
        list_section(msg, "misshaped", misshaped);
        throw ModelMismatch(msg.str());
    }
    at::NoGradGuard no_grad;
    for (auto& [name, t] : expected) {
        auto it = weights.find(name);
        if (it != weights.end()) t.copy_(it->second);
    }
}

void init_untrained(torch::nn::Module& net, std::uint64_t seed) {
    at::NoGradGuard no_grad;
    at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    for (auto& p : net.named_parameters(true)) {
        const std::string& name = p.key();
        at::Tensor t = p.value();
        const std::string leaf = name.substr(name.rfind('.') + 1);
        if (leaf == "cls_token" || leaf == "pos_embed") {
            t.normal_(0.0, 0.02, gen);
        } else if (t.dim() >= 2) {
            const double bound = 1.0 / std::sqrt(static_cast<double>(t.numel() / t.size(0)));
            t.uniform_(-bound, bound, gen);
        } else if (leaf == "weight") {
            t.fill_(1.0);
        } else {
            t.zero_();
        }
    }
    for (auto& b : net.named_buffers(true)) {
        const std::string& name = b.key();
        if (name.size() >= 11 && name.compare(name.size() - 11, 11, "running_var") == 0) b.value().fill_(1.0);
        else b.value().zero_();
    }
}

}  // namespace muse::model
